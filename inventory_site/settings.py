"""stockcast settings. Every value comes from an environment variable (see README, "Configuration").

Embedded default: SQLite under var/, Celery tasks run in-process (eager). Production: set
DATABASE_URL (PostgreSQL), CELERY_BROKER_URL (Redis), REDIS_URL, SECRET_KEY, ALLOWED_HOSTS, DEBUG=0.
"""
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from .env import env_amount, env_bool, env_fraction, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("STOCKCAST_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATA_DIR = Path(env_str("STOCKCAST_DATA_DIR", str(BASE_DIR.parent / "shared" / "data")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (a long random string) or DEBUG=1 for local use."
        )
    # Local development only: a fixed, clearly insecure key that check --deploy flags.
    SECRET_KEY = "django-insecure-local-development-only-key-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "inventory",
    "forecasting",
    "replenishment",
    "insights",
    "staff",  # the server-rendered pages of every app, on top: no app imports it
]

MIDDLEWARE = [
    "inventory_site.observability.request_id.RequestIdMiddleware",
    "inventory_site.observability.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "inventory_site.middleware.RejectNulCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "inventory_site.middleware.LoginRequiredByDefaultMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a clear 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "inventory_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "inventory_site.wsgi.application"
ASGI_APPLICATION = "inventory_site.asgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'stockcast.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; wait for the lock instead of failing at once, and take the
    # write lock at BEGIN so that a read-then-write transaction cannot deadlock on upgrade.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
# The hottest reads PREPARE their statement once per connection (inventory/api/compiled_query.py);
# turn off behind a pooler in transaction mode (PgBouncer), where sessions are shared.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Repeated failed logins lock the username from that address out (django-axes).
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("LOGIN_LOCKOUT_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AUTHENTICATION_BACKENDS = (["axes.backends.AxesStandaloneBackend"] if AXES_ENABLED else []) + [
    "django.contrib.auth.backends.ModelBackend"
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "login"

# --- I18N -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploads ---------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request otherwise
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic` first (production); tests and DEBUG
        # serve the files as they are.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Sales files can be large; uploads above this go to a temporary file, never to memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Request bodies read into memory: above the bulk sales endpoint's documented 4 MB (it refuses
# more itself, with its own message), so Django's own limit never answers it first.
DATA_UPLOAD_MAX_MEMORY_SIZE = 4_000_000 + 64 * 1024
STOCKCAST_MAX_UPLOAD_BYTES = env_int("STOCKCAST_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
# The service level a reorder decision targets when nothing prices holding (a product with no
# unit cost and a policy with no holding cost), instead of a free holding cost and a fractile of 1.
STOCKCAST_DEFAULT_SERVICE_LEVEL = env_fraction("STOCKCAST_DEFAULT_SERVICE_LEVEL", 0.95)
# Forecast rows kept (forecasting/retention.py): every row of the current run and of this many
# newest superseded runs; of older runs only the rows that were in force, for this many days.
STOCKCAST_FORECAST_KEEP_RUNS = env_int("STOCKCAST_FORECAST_KEEP_RUNS", 7, minimum=0)
# A replenishment run splits into this many tasks by warehouse (every constraint, a supplier's
# budget or a warehouse's capacity, lies inside one warehouse), taken by any default worker.
STOCKCAST_REPLENISH_SHARDS = env_int("STOCKCAST_REPLENISH_SHARDS", 1, minimum=1)
STOCKCAST_FORECAST_HISTORY_DAYS = env_int("STOCKCAST_FORECAST_HISTORY_DAYS", 400, minimum=28)
# The pretrained daily checkpoint a catalogue without a model of its own starts from; unset:
# the one in the repository (forecasting/pretrained.py; model card forecasting/checkpoints/MODEL_CARD.md).
STOCKCAST_PRETRAINED_CHECKPOINT = env_str("STOCKCAST_PRETRAINED_CHECKPOINT")
# Alerts whose money at stake (expected margin lost, excess stock value) is below this amount are
# kept but folded into one digest line on the alerts page and never notified on their own.
STOCKCAST_ALERT_MIN_AMOUNT = env_amount("STOCKCAST_ALERT_MIN_AMOUNT", 5.0)
# Policy replay: a method replaces a pair's current one only if the replay says it is this much cheaper.
# Unset (None): the selection rule's own default (replenishment/policies/selection.py, 5 %), the one
# bench.replenish's ``selected`` row uses, so that the benchmark measures the product's choice.
STOCKCAST_REPLAY_MARGIN = (env_fraction("STOCKCAST_REPLAY_MARGIN", 0.5) if env_str("STOCKCAST_REPLAY_MARGIN")
                           else None)
# Uploaded sales files are deleted this long after their import finished ("run again" needs them).
STOCKCAST_UPLOAD_RETENTION_HOURS = env_int("STOCKCAST_UPLOAD_RETENTION_HOURS", 24)
# Bounds of every import, whatever its path (inventory/ingest/limits.py has the defaults and why);
# unset variables keep the defaults.
STOCKCAST_IMPORT_LIMITS = {
    "max_bytes": env_int("STOCKCAST_IMPORT_MAX_BYTES", 0) or None,
    "max_rows": env_int("STOCKCAST_IMPORT_MAX_ROWS", 0) or None,
    "max_line_bytes": env_int("STOCKCAST_IMPORT_MAX_LINE_BYTES", 0) or None,
    "max_seconds": env_int("STOCKCAST_IMPORT_MAX_SECONDS", 0) or None,
    "max_ratio": env_int("STOCKCAST_IMPORT_MAX_RATIO", 0) or None,
    "max_xlsx_bytes": env_int("STOCKCAST_IMPORT_MAX_XLSX_BYTES", 0) or None,
}

# --- Security (production values by default; DEBUG relaxes only what breaks plain HTTP) -------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health checks answer plain HTTP so that a load balancer inside the network can probe them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Celery ---------------------------------------------------------------------------------
_BROKER_FROM_ENV = env_str("CELERY_BROKER_URL") or ""
# Unset broker: run every task in-process, synchronously (the embedded default). The in-memory
# transport is named so that nothing ever tries to reach a default AMQP server by accident.
CELERY_BROKER_URL = _BROKER_FROM_ENV or "memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not _BROKER_FROM_ENV)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (_BROKER_FROM_ENV or "cache+memory://")
# Every task has a time limit (a soft one the task can clean up after, then a hard kill), and the
# broker redelivers an unacknowledged task only after longer than the longest task may run, so a
# task that is still working is never handed to a second worker (Redis's default is one hour).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 3 * 3600)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", CELERY_TASK_SOFT_TIME_LIMIT + 300)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", CELERY_TASK_TIME_LIMIT + 3600)}
# A task whose worker died this many times (killed for memory, say) is not run again.
CELERY_MAX_DELIVERIES = env_int("CELERY_MAX_DELIVERIES", 3)

# --- REST framework -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "inventory_site.api.token_auth.CompiledTokenAuthentication",  # DRF's, with the lookup compiled once
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["inventory_site.roles.PlannerWriteOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "inventory_site.api.filter_backend.QueryParamFilterBackend",  # django-filter, skipped when nothing filters
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "inventory_site.api.parsers.BoundedJSONParser",  # DRF's, refusing bodies nested deeper than 32
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # How many proxies in front of the app append to X-Forwarded-For: the throttles identify a
    # client by the address that many hops back. 0 (default): the socket's address, the header is
    # ignored, so a client cannot pick a new identity per request by sending one.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "inventory_site.api.errors.api_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["inventory_site.api.throttles.WriteRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "write": env_str("API_THROTTLE_WRITE", "1200/min"),
        "bulk": env_str("API_THROTTLE_BULK", "60/min"),
        "live_forecast": env_str("API_THROTTLE_LIVE_FORECAST", "6000/min"),
        "auth": env_str("API_THROTTLE_AUTH", "20/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "stockcast API",
    "DESCRIPTION": "Products, stock, sales, forecasts and reorder suggestions.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# --- Logging and monitoring ------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
# JSON lines for log collectors in production; readable lines when developing.
LOG_FORMAT = env_str("LOG_FORMAT", "plain" if DEBUG else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "inventory_site.observability.request_id.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
}
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_TOKEN = env_str("METRICS_TOKEN", "")
# A web instance stays "ready" while workers are down (pages and reads still work), unless asked.
READYZ_REQUIRE_WORKER = env_bool("READYZ_REQUIRE_WORKER", False)

# --- Email (alerts) -------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "stockcast@localhost")

# --- Outbound requests (alert webhooks; inventory_site/outbound.py) --------------------------
# https only unless OUTBOUND_ALLOW_HTTP; loopback, private, link-local and metadata addresses are
# refused unless inside OUTBOUND_ALLOWED_NETWORKS (CIDRs, for a receiver inside the network).
OUTBOUND_ALLOW_HTTP = env_bool("OUTBOUND_ALLOW_HTTP", False)
OUTBOUND_ALLOWED_NETWORKS = env_list("OUTBOUND_ALLOWED_NETWORKS", [])
