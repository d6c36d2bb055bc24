"""Settings, every value from the environment (django-environ).

With nothing set the site runs embedded: SQLite and a file-system Celery broker
under ``var/``. See README.md for every variable.
"""

from __future__ import annotations

import ipaddress
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=False)


def _local_secret_key() -> str:
    """A random key kept under VAR_DIR, so a single machine needs no setting.

    Several machines serving one site must share SECRET_KEY through the environment.
    """
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="") or _local_secret_key()
if len(SECRET_KEY) < 32:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "leaderboard",
]

MIDDLEWARE = [
    "leaderboard.access.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "leaderboard.urls"
WSGI_APPLICATION = "leaderboard.wsgi.application"

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

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
# A persistent connection is checked before it is reused, so that after a database restart
# neither a web process nor a worker fails its first request or task on a dead connection.
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web and worker write concurrently: wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 30, "transaction_mode": "IMMEDIATE"})
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Outgoing mail, e.g. smtp+tls://user:password@smtp.example.org:587 (django-environ's email URL).
# Unset: the site sends no email, so it offers no password reset.
EMAIL_URL = env.str("EMAIL_URL", default="")
EMAIL_CONFIGURED = bool(EMAIL_URL)
if EMAIL_CONFIGURED:
    globals().update(env.email_url("EMAIL_URL"))
    DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="webmaster@localhost")
# Rate limits (django-ratelimit) count in this cache. The file cache of the embedded
# default is shared by the web processes of one machine but its counters are not atomic,
# so limits are approximate there; set CACHE_URL=redis://... for exact ones.
CACHES = {"default": env.cache("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]
RATELIMIT_IP_META_KEY = "leaderboard.ratelimits.client_address"
# Addresses or networks of the reverse proxies in front of the site: only their X-Forwarded-For
# is believed (leaderboard/access.py). Empty: the connection's address is the client's.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address or network") from None
# Every limit of the site and the API, counted by leaderboard/ratelimits.py.
RATE_LIMITS = {
    "login": env.str("LOGIN_RATE", default="10/5m"),
    "login-account": env.str("LOGIN_RATE", default="10/5m"),  # per username, from one address
    "signup": env.str("SIGNUP_RATE", default="10/h"),
    "upload": env.str("UPLOAD_RATE", default="20/h"),
    "token": env.str("API_TOKEN_RATE", default="20/minute"),
    "api-anon": env.str("API_ANON_RATE", default="120/minute"),
    "api-user": env.str("API_USER_RATE", default="600/minute"),
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "leaderboard.staticfinders.PlotlyFinder",
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "ground_truth": {"BACKEND": "leaderboard.ground_truth.GroundTruthStorage"},
    "staticfiles": {"BACKEND": "leaderboard.storage.StaticStorage"},
}
# Several machines: uploads and ground truth in an S3-compatible bucket (django-storages), under
# media/ and ground-truth/; credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
S3_BUCKET = env.str("S3_BUCKET", default="")
if S3_BUCKET:
    _bucket = {
        "bucket_name": S3_BUCKET,
        "endpoint_url": env.str("S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("S3_REGION", default="") or None,
        "default_acl": "private",
        "file_overwrite": False,
    }
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {**_bucket, "location": "media"}}
    STORAGES["ground_truth"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_bucket, "location": "ground-truth", "file_overwrite": True},
    }
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"  # never routed: uploads are served to nobody
# Real public benchmark files (KAIST day/night ...) that load_demo imports when present.
SHARED_DATA_DIR = Path(env.str("SHARED_DATA_DIR", default=str(BASE_DIR.parent / "shared" / "data")))
GROUND_TRUTH_ROOT = Path(env.str("GROUND_TRUTH_ROOT", default=str(VAR_DIR / "ground_truth")))

MAX_UPLOAD_MB = env.int("MAX_UPLOAD_MB", default=200)
# Total size an upload may unpack to (every member of a zip or tar together), checked from the
# archive's headers before anything is read and again while reading: the memory one upload takes.
MAX_UNPACKED_MB = env.int("MAX_UNPACKED_MB", default=256)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_CLASSES": ["leaderboard.ratelimits.ApiThrottle"],
    "EXCEPTION_HANDLER": "leaderboard.api.errors.exception_handler",
    # REMOTE_ADDR already holds the client (leaderboard.access); never read X-Forwarded-For again.
    "NUM_PROXIES": 0,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Detection Leaderboard API",
    "DESCRIPTION": "Submit detections, poll their scoring, and read leaderboards and scores.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Celery: everything under the CELERY_ namespace (leaderboard/celery.py).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://localhost/")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_folder = Path(env.str("CELERY_BROKER_FOLDER", default=str(VAR_DIR / "broker")))
    for _sub in ("out", "processed", "control"):
        (_broker_folder / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_folder / "out"),
        "data_folder_out": str(_broker_folder / "out"),
        "processed_folder": str(_broker_folder / "processed"),
        "control_folder": str(_broker_folder / "control"),
        "store_processed": False,
        # kombu's default of 1 s is added to every submission's wait; reading a folder ten times a second costs little
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)}
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="scoring")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("SCORING_SOFT_TIME_LIMIT", default=15 * 60)
CELERY_TASK_TIME_LIMIT = env.int("SCORING_TIME_LIMIT", default=16 * 60)
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("WORKER_MAX_MEMORY_KB", default=8 * 1024 * 1024)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker outlives a broker outage of any length: it keeps reconnecting instead of exiting.
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# When the broker connection drops, a running scoring goes on and stores its result: the
# submission is claimed in the database, so the lost acknowledgement changes nothing, and
# a redelivered message finds the submission scored.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = False
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    "requeue-stale-submissions": {
        "task": "leaderboard.tasks.requeue_stale_submissions",
        "schedule": env.float("STALE_SWEEP_SECONDS", default=60.0),
    },
}
# Bootstrap resamples behind each score's interval (COCO, VOC, KAIST); a few hundred give stable 95% bounds.
SCORING_BOOTSTRAP_RESAMPLES = env.int("SCORING_BOOTSTRAP_RESAMPLES", default=200)
# A running submission's lease: its worker renews it every quarter lease while scoring (a
# heartbeat), so a submission whose worker died is scored again once the lease runs out.
SCORING_LEASE_SECONDS = env.int("SCORING_LEASE_SECONDS", default=120)
# A queued submission not started within this time has its task sent again (a broker restart
# loses the queued messages); one whose sending failed is sent again at the next sweep.
STALE_QUEUED_SECONDS = env.int("STALE_QUEUED_SECONDS", default=30 * 60)
# A submission whose scoring was interrupted this many times (the worker died each time) fails.
SCORING_MAX_ATTEMPTS = env.int("SCORING_MAX_ATTEMPTS", default=5)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
