"""Settings for the orchestration service, read from the environment (12-factor).

With no variables set it runs on an embedded default: a SQLite file in the
project folder and an in-process Dramatiq broker with a worker thread.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from orchestration_site.broker import dramatiq_broker_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
# The demo's stand-in services under /demo/ (no login; /demo/inbox shows what they received).
DEMO_ENDPOINTS = env_bool("DEMO_ENDPOINTS", DEBUG)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("ALLOW_DEV_SECRET_KEY"):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # A development key only: never used with DEBUG off unless explicitly allowed (tests).
    SECRET_KEY = "dev-only-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_json_widget",
    "django_dramatiq",
    "workflows",
    "breakers",
    "executions",
    "audit",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "orchestration_site.urls"

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

WSGI_APPLICATION = "orchestration_site.wsgi.application"

# Database: DATABASE_URL, else a SQLite file in the project folder (WAL mode).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["ENGINE"] = "orchestration_site.postgresql"  # its health check costs no query
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Worker threads and the web server share the file: WAL lets readers run beside
    # one writer, IMMEDIATE takes the write lock up front so transactions never fail
    # half-way on a lock upgrade, and the timeout waits for a busy writer.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# Production hardening (all active when DEBUG is off).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEBUG and env_bool("SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_TLS_PROXY") else None
SILENCED_SYSTEM_CHECKS = [] if SECURE_SSL_REDIRECT else ["security.W008"]

AUTHENTICATION_BACKENDS = ["orchestration_site.backends.ModelBackend"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "orchestration_site.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["orchestration_site.permissions.ModelPermissions"],
    "DEFAULT_PARSER_CLASSES": ["orchestration_site.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["orchestration_site.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "orchestration_site.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "orchestration_site.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Workflow orchestration API",
    "DESCRIPTION": "Workflows as JSON, run durably by Dramatiq workers.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "PREPROCESSING_HOOKS": ["orchestration_site.schema.spec_paths"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "orchestration_site.schema.error_responses",
    ],
    "ENUM_NAME_OVERRIDES": {
        "WorkflowStatusEnum": "workflows.models.WorkflowStatus",
        "ExecutionStatusEnum": "executions.statuses.ExecutionStatus",
        "CircuitBreakerStateEnum": "breakers.models.CircuitBreakerState",
    },
}

# Dramatiq: DRAMATIQ_BROKER_URL = redis://… or amqp://…; unset = in-process broker.
DRAMATIQ_BROKER_URL = os.environ.get("DRAMATIQ_BROKER_URL", "")
DRAMATIQ_BROKER = dramatiq_broker_settings(DRAMATIQ_BROKER_URL)
DRAMATIQ_QUEUE = os.environ.get("DRAMATIQ_QUEUE", "orchestration")
# django-dramatiq's own actor prunes the task records of its admin middleware, which is not
# used: loaded, it would have every worker poll its queue (and that queue's delay queue) too.
DRAMATIQ_IGNORED_MODULES = ["django_dramatiq.tasks"]
# With the in-process broker, the process that sends a message also runs a worker.
EMBEDDED_WORKER = env_bool("EMBEDDED_WORKER", not DRAMATIQ_BROKER_URL)
EMBEDDED_WORKER_THREADS = int(os.environ.get("EMBEDDED_WORKER_THREADS", "8"))

# Engine.
ORCHESTRATION = {
    "HTTP_TIMEOUT_MS": int(os.environ.get("HTTP_TIMEOUT_MS", "30000")),
    "MAX_DELAY_HOP_MS": int(os.environ.get("MAX_DELAY_HOP_MS", str(10 * 60 * 1000))),
    "SYNC_WAIT_MS": int(os.environ.get("ORCHESTRATION_SYNC_WAIT_MS", "30000")),
    "REGEX_TIMEOUT_S": float(os.environ.get("REGEX_TIMEOUT_S", "0.05")),
    # Recovery: a RUNNING step's lease is its call timeout plus this margin.
    "LEASE_MARGIN_MS": int(os.environ.get("LEASE_MARGIN_MS", "15000")),
    # Work untouched this long (PENDING, or WAITING past its due time) is sent again.
    "RECOVERY_STALE_MS": int(os.environ.get("RECOVERY_STALE_MS", "30000")),
    # How often each worker process sweeps (0: never; `manage.py recover_executions` still works).
    "RECOVERY_INTERVAL_MS": int(os.environ.get("RECOVERY_INTERVAL_MS", "15000")),
    # Limits: items of one FOR_EACH, the size of one step's rendered config, and of one step's
    # output (a container's: its steps' outputs together), in bytes of JSON.
    "MAX_FOR_EACH_ITEMS": int(os.environ.get("MAX_FOR_EACH_ITEMS", "10000")),
    # Loops inside loops multiply: the product of their item counts.
    "MAX_NESTED_ITEMS": int(os.environ.get("MAX_NESTED_ITEMS", "100000")),
    "MAX_RENDERED_BYTES": int(os.environ.get("MAX_RENDERED_BYTES", str(1_000_000))),
    "MAX_OUTPUT_BYTES": int(os.environ.get("MAX_OUTPUT_BYTES", str(4_000_000))),
    # The run's output (every top-level step's): past it, the results stay in their step records.
    "MAX_RUN_OUTPUT_BYTES": int(os.environ.get("MAX_RUN_OUTPUT_BYTES", str(16_000_000))),
    # A step whose worker died is run again up to max(its maxAttempts, this) attempts.
    "WORKER_LOST_ATTEMPTS": int(os.environ.get("WORKER_LOST_ATTEMPTS", "3")),
}

# Triggers (executions/triggers/): the scheduler in every worker process and `manage.py run_scheduler`.
TRIGGERS = {
    "SCHEDULER_IN_WORKERS": env_bool("SCHEDULER_IN_WORKERS", True),
    "SCHEDULER_TICK_MS": int(os.environ.get("SCHEDULER_TICK_MS", "1000")),
    # With missedRuns "skip", a due time later than this is dropped (a scheduler was down).
    "SCHEDULER_MISFIRE_GRACE_S": int(os.environ.get("SCHEDULER_MISFIRE_GRACE_S", "60")),
    # With missedRuns "catchUp", at most this many missed runs per schedule per tick.
    "SCHEDULER_CATCH_UP_BATCH": int(os.environ.get("SCHEDULER_CATCH_UP_BATCH", "100")),
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # One handler for Django's loggers too (its default config would print each line twice).
    "loggers": {
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "WARNING"},
    },
}

# SSRF guard (executions/engine/outbound.py): comma-separated networks and host names.
OUTBOUND_ALLOW_NETWORKS = os.environ.get("OUTBOUND_ALLOW_NETWORKS", "")
OUTBOUND_DENY_NETWORKS = os.environ.get("OUTBOUND_DENY_NETWORKS", "")
OUTBOUND_ALLOW_HOSTS = os.environ.get("OUTBOUND_ALLOW_HOSTS", "")
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", False)

CIRCUIT_BREAKER_DEFAULTS = {
    "threshold": int(os.environ.get("CIRCUIT_BREAKER_THRESHOLD", "5")),
    "timeout": int(os.environ.get("CIRCUIT_BREAKER_TIMEOUT_MS", "60000")),
    "halfOpenMaxCalls": int(os.environ.get("CIRCUIT_BREAKER_HALF_OPEN_MAX_CALLS", "1")),
}

# Metrics: /metrics answers staff sessions, and scrapers sending "Authorization: Bearer <METRICS_TOKEN>".
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")

# Security: secrets at rest, redirects of outbound requests, limits (README: Secrets, Limits).
# Fernet keys, comma-separated (the first encrypts, all decrypt). Without one a key is derived
# from SECRET_KEY, which is allowed only in development.
SECRETS_ENCRYPTION_KEY = os.environ.get("SECRETS_ENCRYPTION_KEY", "")
if not SECRETS_ENCRYPTION_KEY and not DEBUG and not env_bool("ALLOW_DEV_SECRET_KEY"):
    raise ImproperlyConfigured(
        "SECRETS_ENCRYPTION_KEY must be set when DEBUG is off (generate one with "
        '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).'
    )
# Redirects are followed only by steps that ask (followRedirects), at most this many hops.
OUTBOUND_MAX_REDIRECTS = int(os.environ.get("OUTBOUND_MAX_REDIRECTS", "5"))
# The API's own request body limit (413 beyond it).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("DATA_UPLOAD_MAX_MEMORY_SIZE", str(2_621_440)))
ORCHESTRATION.update(
    {
        # Body of one outbound request (bytes), and response body stored per step (the rest is cut, marked).
        "MAX_REQUEST_BODY_BYTES": int(os.environ.get("MAX_REQUEST_BODY_BYTES", str(1_000_000))),
        "MAX_RESPONSE_BYTES": int(os.environ.get("MAX_RESPONSE_BYTES", str(1_000_000))),
        # Definitions: steps in one workflow or request, and containers within containers.
        "MAX_WORKFLOW_STEPS": int(os.environ.get("MAX_WORKFLOW_STEPS", "500")),
        "MAX_NESTING_DEPTH": int(os.environ.get("MAX_NESTING_DEPTH", "10")),
    }
)
# No log line shows a secret: every handler of the root and django loggers masks them.
LOGGING["filters"] = {"mask_secrets": {"()": "orchestration_site.masking.SecretsFilter"}}
LOGGING["handlers"]["console"]["filters"] = ["mask_secrets"]

# Access (issue G): throttling of the API. DRF keeps its counters in the Django cache, which is
# per process by default (LocMem): set CACHE_URL=redis://host:6379/1 to share them between
# processes and machines. Rates are "<count>/<second|minute|hour|day>".
if os.environ.get("CACHE_URL"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["CACHE_URL"]}
    }
REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] = [
    "rest_framework.throttling.AnonRateThrottle",
    "rest_framework.throttling.UserRateThrottle",
    # Only views that name a `throttle_scope` (starting runs) are counted by this one.
    "rest_framework.throttling.ScopedRateThrottle",
]
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] = {
    "anon": os.environ.get("THROTTLE_ANON_RATE", "60/minute"),
    "user": os.environ.get("THROTTLE_USER_RATE", "1200/minute"),
    "run": os.environ.get("THROTTLE_RUN_RATE", "300/minute"),
}
# Security headers, on every response (HSTS only over HTTPS, and only with DEBUG off by default).
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
