"""Typed readers for environment variables: every setting of stockcast comes from here."""
import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no)")


def env_int(name: str, default: int, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number") from exc


def env_amount(name: str, default: float) -> float:
    """A finite amount of money, zero or more."""
    value = _env_float(name, default)
    if not (value >= 0 and value != float("inf")):
        raise ImproperlyConfigured(f"{name}={os.environ.get(name)!r} must be a finite amount, zero or more")
    return value


def env_fraction(name: str, default: float) -> float:
    """A number strictly between 0 and 1 (a service level, a share)."""
    value = _env_float(name, default)
    if not 0 < value < 1:
        raise ImproperlyConfigured(f"{name}={os.environ.get(name)!r} must lie strictly between 0 and 1")
    return value
