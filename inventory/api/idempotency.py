"""Idempotency-Key for the API's writes: per user and operation, checked against the body.

    with idempotent(request, "movement") as attempt:
        if attempt.replayed: ...answer with attempt.result...
        else: ...do the write with ledger key attempt.ledger_key, then attempt.result = {...}

The record, the write and its result commit together in one transaction, so a request that
fails leaves no record behind and can be sent again; a second request with the same key waits
on the first's unique-key insert (PostgreSQL) or write lock (SQLite) and then sees its result.
"""
from __future__ import annotations

import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from inventory.errors import IdempotencyConflict
from inventory.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_MAX = 200
IDEMPOTENCY_HEADER = OpenApiParameter(
    name=HEADER, type=str, location=OpenApiParameter.HEADER, required=False,
    description=f"Any unique string (≤ {KEY_MAX} characters), e.g. a UUID. Keys are yours: another user's key "
                "is a different request. Sending the same key again with the same body returns the first result "
                "(200, header `Idempotent-Replayed: true`) and changes nothing; the same key with a different "
                "body is refused with 409 `idempotency_conflict`.",
)


def request_key(request) -> str | None:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return None
    if len(key) > KEY_MAX:
        raise ValidationError({HEADER: f"at most {KEY_MAX} characters, got {len(key)}."})
    return key


def body_hash(data) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class Attempt:
    key: str | None
    record: IdempotencyRecord | None = None
    replayed: bool = False
    result: dict = field(default_factory=dict)

    @property
    def ledger_key(self) -> str | None:
        return self.record.ledger_key if self.record is not None else None


@contextmanager
def idempotent(request, operation: str):
    """One transaction around the write; see the module's docstring."""
    key = request_key(request)
    with transaction.atomic():
        if key is None:
            attempt = Attempt(None)
            yield attempt
            return
        digest = body_hash(request.data)
        try:
            with transaction.atomic():  # savepoint: a concurrent first use of the key may win
                record = IdempotencyRecord.objects.create(user=request.user, operation=operation, key=key,
                                                          request_hash=digest)
            created = True
        except IntegrityError:
            record = IdempotencyRecord.objects.select_for_update().get(user=request.user, operation=operation,
                                                                       key=key)
            created = False
        if not created and record.request_hash != digest:
            raise IdempotencyConflict(
                f"Idempotency key {key!r} was already used on {record.created_at:%Y-%m-%d %H:%M} UTC for a different "
                f"{operation.split(':')[0]} request; use a new key for a new request.",
                idempotency_key=key)
        attempt = Attempt(key, record, replayed=not created, result=dict(record.result))
        yield attempt
        if created:
            record.result = attempt.result
            record.save(update_fields=["result"])
