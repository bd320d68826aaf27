"""Settings shared by every environment, read from the environment (django-environ).

The embedded defaults (SQLite under var/, Celery in eager mode, local-memory cache) let
`make run` work on a bare machine; DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _
from kombu import Queue

from config.csp import DEFAULT_POLICY, content_security_policy

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI assets served by the app: no CDN on a closed network
    "axes",  # counts failed sign-ins, locks out (accounts/lockout.py)
    # viewflow.fsm is used as a library (state declarations only): its app, which would
    # add its own middleware and tables, is deliberately not installed.
    "org",
    "workflow",
    "accounts",
    "notifications",
    "processes",
    "api",
    "web",
]

MIDDLEWARE = [
    # Before everything: a load balancer's /health/live/ and /health/ready/ are answered whatever
    # their Host header, scheme or wait in the queue (web/health.py).
    "web.health.ProbeMiddleware",
    "config.middleware.RequestDeadlineMiddleware",  # first of the rest: a shed request touches nothing
    "django.middleware.security.SecurityMiddleware",
    # Static files (CSS, htmx, Swagger UI, the admin's) served by the app itself, compressed and
    # cached for good under hashed names in production (STORAGES there).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",  # the Content-Security-Policy header (config/csp.py)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.input_guard.QueryStringGuardMiddleware",  # a NUL in ?q= is a 400, not a 500 in the database
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.middleware.DatabaseUnavailableMiddleware",
    # Last: turns a sign-in refused as locked out into the lock-out page (web/login.py).
    "axes.middleware.AxesMiddleware",
]
# A request that waited longer than this in the queue (front proxy's X-Request-Start, gunicorn's
# stamp: config/middleware.py) is refused with a 503 before any work; 0 turns the check off.
KINERJA_REQUEST_DEADLINE_SECONDS = env.float("KINERJA_REQUEST_DEADLINE_SECONDS", default=5)

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context.roles",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
# No ATOMIC_REQUESTS: the workflow engine owns its transactions.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
# A pooled connection that a database restart closed is replaced before the request uses it.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# axes' backend first: a locked-out account or address is refused before any password is checked.
AUTHENTICATION_BACKENDS = ["accounts.lockout.LockoutBackend", "django.contrib.auth.backends.ModelBackend"]

# Sign-in lock-outs (accounts/lockout.py, docs/security/login-and-tokens.md), counted by
# django-axes in the database: wrong passwords for one username, and failures from one client
# address (the address as config/request_origin.py finds it behind the trusted proxies), within
# the cool-off period; past either limit sign-in is refused, even with the right password, until
# the period has passed or an administrator unlocks it (manage.py login_unlock, the admin).
AXES_ENABLED = env.bool("KINERJA_LOGIN_LOCKOUT", default=True)
AXES_FAILURE_LIMIT = env.int("KINERJA_LOGIN_FAILURE_LIMIT", default=10)
KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("KINERJA_LOGIN_ADDRESS_FAILURE_LIMIT", default=100)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("KINERJA_LOGIN_LOCKOUT_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # two separate lock-outs, not their combination
AXES_CLIENT_IP_CALLABLE = "config.request_origin.client_address"
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_LOCKOUT_CALLABLE = "web.login.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True  # of the account's failures only (LockoutHandler.reset_user_attempts)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # a lock-out ends one period after it began
AXES_ENABLE_ACCESS_FAILURE_LOG = True  # axes' own log of every failure, beside the audited lock-outs
AXES_VERBOSE = False

# API tokens (accounts/tokens.py): a sign-in token lives this many seconds from its issue;
# a service account's token the days HR gives it, 90 by default, at most the maximum.
KINERJA_TOKEN_TTL = env.int("KINERJA_TOKEN_TTL", default=12 * 3600)
KINERJA_SERVICE_TOKEN_DAYS = env.int("KINERJA_SERVICE_TOKEN_DAYS", default=90)
KINERJA_SERVICE_TOKEN_MAX_DAYS = env.int("KINERJA_SERVICE_TOKEN_MAX_DAYS", default=365)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Indonesian first, English too.
LANGUAGE_CODE = "id"
LANGUAGES = [("id", _("Indonesian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Jakarta"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},  # production: hashed, compressed
}
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static"))
# The pages' Content-Security-Policy (config/csp.py; README "Security"): DJANGO_CSP replaces the
# whole policy, DJANGO_CSP_REPORT_ONLY=true only reports what it would block, DJANGO_CSP_REPORT_URI
# names where browsers report.
CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY = content_security_policy(
    env("DJANGO_CSP", default=DEFAULT_POLICY),
    report_only=env.bool("DJANGO_CSP_REPORT_ONLY", default=False),
    report_uri=env("DJANGO_CSP_REPORT_URI", default=""),
)
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media"))

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

# Redis is optional: without REDIS_URL the cache is per process and Celery runs tasks
# eagerly, in the process that queued them (after the commit that queued them).
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # A Redis outage degrades the cache to an empty one (config/cache.py): the web goes on without it.
    CACHES = {"default": {"BACKEND": "config.cache.DegradingRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5,
                                      "DOWN_SECONDS": env.float("KINERJA_CACHE_DOWN_SECONDS", default=5)}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_BACKEND = None
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
# HR's progress is served from a snapshot at most this old (seconds); 0 counts on every request.
KINERJA_PROGRESS_MAX_AGE = env.int("KINERJA_PROGRESS_MAX_AGE", default=60)
# The sweep hands a notification over again only if no worker has taken it after this long.
KINERJA_HANDOVER_GRACE_SECONDS = env.int("KINERJA_HANDOVER_GRACE_SECONDS", default=300)

# The scheduled sweeps (`celery -A config beat`); each is idempotent, so a second beat or a
# re-run does each thing once.
CELERY_BEAT_SCHEDULE = {
    "open-monthly-reports": {"task": "processes.tasks.reports_open_month_task", "schedule": 6 * 3600},
    "people-changes-take-effect": {"task": "processes.tasks.changes_take_effect_task", "schedule": 6 * 3600},
    "lapse-objection-windows": {"task": "processes.tasks.assessments_lapse_task", "schedule": 3600},
    "remind-and-escalate": {"task": "processes.tasks.deadlines_sweep_task", "schedule": 15 * 60},
    "hand-over-deliveries": {"task": "notifications.tasks.deliveries_sweep", "schedule": 60},
    "worker-heartbeat": {"task": "notifications.tasks.worker_heartbeat", "schedule": 30},
    "refresh-progress": {"task": "processes.tasks.refresh_open_cycles_progress_task", "schedule": 60},
    "resume-stalled-bulk-work": {"task": "processes.tasks.bulk_runs_sweep_task", "schedule": 60},
}
# Publishing fails fast when the broker is down: the action has committed its outbox rows, and
# the sweep hands them over once the broker is back.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5,
                                   "visibility_timeout": env.int("KINERJA_BROKER_VISIBILITY_TIMEOUT", default=3600)}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queues that isolate (README "Deploying"): a slow webhook receiver or a long bulk job holds only
# the workers of its own queue. A worker started without -Q consumes all of them.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [Queue(name) for name in ("default", "email", "webhooks", "sweeps", "bulk")]
CELERY_TASK_ROUTES = {
    "notifications.tasks.deliver_webhook": {"queue": "webhooks"},
    "notifications.tasks.dispatch_notifications": {"queue": "email"},
    "notifications.tasks.deliver_many": {"queue": "email"},
    # Every scheduled task is a sweep (and the beat heartbeat).
    **{entry["task"]: {"queue": "sweeps"} for entry in CELERY_BEAT_SCHEDULE.values()},
    # The rest of the domain's tasks are bulk work (cycle opening, evaluations, imports, recounts).
    "processes.tasks.*": {"queue": "bulk"},
    "org.tasks.*": {"queue": "bulk"},
}

# Notification delivery: retries with exponential backoff (base, cap in seconds), then "failed".
KINERJA_DELIVERY_MAX_ATTEMPTS = env.int("KINERJA_DELIVERY_MAX_ATTEMPTS", default=6)
KINERJA_DELIVERY_BACKOFF_BASE = env.int("KINERJA_DELIVERY_BACKOFF_BASE", default=30)
KINERJA_DELIVERY_BACKOFF_CAP = env.int("KINERJA_DELIVERY_BACKOFF_CAP", default=3600)
KINERJA_DELIVERY_STALE_SECONDS = env.int("KINERJA_DELIVERY_STALE_SECONDS", default=900)
# A webhook endpoint's circuit opens after this many failures (or timeouts) in a row: its
# deliveries then wait for the backoff instead of each waiting on the receiver (the timeout is
# per endpoint, WebhookEndpoint.timeout_seconds, 5 s by default, at most 10).
KINERJA_WEBHOOK_BREAKER_THRESHOLD = env.int("KINERJA_WEBHOOK_BREAKER_THRESHOLD", default=3)
# Webhook URLs must resolve to public addresses (checked at registration and at each delivery);
# true also allows loopback, private and link-local ones (a receiver on this host or network).
KINERJA_WEBHOOK_ALLOW_PRIVATE = env.bool("KINERJA_WEBHOOK_ALLOW_PRIVATE", default=False)
# Whom an employee may delegate their tasks to: "agency" (anyone with an account in the
# delegator's agency) or "unit" (in the delegator's unit or a unit below it).
KINERJA_DELEGATION_SCOPE = env("KINERJA_DELEGATION_SCOPE", default="agency")
# The address of the web app, for the links in e-mails and webhooks.
KINERJA_SITE_URL = env("KINERJA_SITE_URL", default="http://127.0.0.1:8000")

EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", default=str(VAR_DIR / "mail"))
EMAIL_HOST = env("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="kinerja@localhost")

# Request bodies (api/parsers.py): JSON nested deeper than this many arrays and objects, and a
# body (a form's fields: files are limited by the rule set) larger than this many bytes are a 400.
# Django's own limit on what it reads into memory (the pages' forms) is the same number.
KINERJA_JSON_MAX_DEPTH = env.int("KINERJA_JSON_MAX_DEPTH", default=32)
KINERJA_JSON_MAX_BYTES = env.int("KINERJA_JSON_MAX_BYTES", default=1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = KINERJA_JSON_MAX_BYTES

REST_FRAMEWORK = {
    # The token first: a refused token (expired, revoked) or no credentials at all is a 401 with
    # "WWW-Authenticate: Token", which tells a client to sign in again; the browser's session follows.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "PAGE_SIZE": 50,
    # drf-spectacular's, with the error answers, unpaged histories and blank choices as answered (api/schema.py).
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    # Bodies with depth and size limits, refusing text the database cannot store (api/parsers.py).
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser", "api.parsers.FormParser", "api.parsers.MultiPartParser"],
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
    "DEFAULT_THROTTLE_RATES": {"auth": env("KINERJA_AUTH_THROTTLE", default="20/min")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Kinerja ASN API",
    "DESCRIPTION": "Performance appraisal lifecycle of Indonesian civil servants (ASN): "
    "plans (SKP), reports, scoring, forum review, objections, ratification.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ResultKindEnum": "processes.models.PlanResult.Kind",
        "EvidenceKindEnum": "processes.models.Evidence.Kind",
        "PlanStatusEnum": "processes.models.Plan.Status",
        "ReportStatusEnum": "processes.models.MonthlyReport.Status",
        "AssessmentStatusEnum": "processes.models.Assessment.Status",
        "UnitReviewStatusEnum": "processes.models.UnitReview.Status",
        "ObjectionStatusEnum": "processes.models.Objection.Status",
        "CycleStatusEnum": "processes.models.Cycle.Status",
        "RatingEnum": "processes.models.Rating",
        "PredicateEnum": "processes.models.Predicate",
        "UnitPredicateEnum": "processes.models.UnitPredicate",
    },
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# The public feedback form: submissions allowed per address and per link ("N/second|minute|hour|day").
KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS = env("KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS", default="5/hour")
KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK = env("KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK", default="300/hour")
# A form sent back sooner than this many seconds after it was rendered is a bot's, discarded unseen
# (processes/services/public_feedback.py).
KINERJA_PUBLIC_FEEDBACK_MIN_SECONDS = env.float("KINERJA_PUBLIC_FEEDBACK_MIN_SECONDS", default=2)
# Which X-Forwarded-For entries name the client (config/request_origin.py): a number of reverse
# proxies in front of the site, or their addresses/networks ("10.0.0.0/8,192.0.2.7"); 0 ignores
# the header, which anyone can send.
KINERJA_TRUSTED_PROXIES = env("KINERJA_TRUSTED_PROXIES", default="0")
# Deprecated: the same as KINERJA_TRUSTED_PROXIES=1.
KINERJA_TRUST_X_FORWARDED_FOR = env.bool("KINERJA_TRUST_X_FORWARDED_FOR", default=False)

# Production's settings say they are (config/settings/production.py): the demo seed refuses to run there.
KINERJA_PRODUCTION = False

# Bulk work (opening a cycle) runs in chunks of this many employees.
KINERJA_BULK_CHUNK_SIZE = env.int("KINERJA_BULK_CHUNK_SIZE", default=1000)
# A bulk run whose progress has not moved for this long (a killed worker, a task the broker lost)
# is resumed by the sweep (processes/services/bulk_runs.py).
KINERJA_BULK_STALL_SECONDS = env.int("KINERJA_BULK_STALL_SECONDS", default=300)
# The engine's hot path (lock queries compiled once, a transition's writes in one round trip).
# Off, the same queries and writes go through the plain ORM: CI runs the engine's tests both ways.
KINERJA_FAST_PATH = env.bool("KINERJA_FAST_PATH", default=True)
# The audit trail's key (workflow/audit/keys.py, docs/security/audit.md): KINERJA_AUDIT_KEY signs
# every audit event and chain head (HMAC-SHA256); it has a fixed development value in local, test
# and bench settings and none in production. After a rotation the keys used before stay here,
# comma-separated, to verify the events they signed.
KINERJA_AUDIT_RETIRED_KEYS = env.list("KINERJA_AUDIT_RETIRED_KEYS", default=[])

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}
