"""Settings, read from the environment.

Embedded defaults make `make run` work on a laptop (SQLite, DEBUG on); production sets
DATABASE_URL, SECRET_KEY, ALLOWED_HOSTS and DEBUG=false. Starting with DEBUG off and the
default secret is refused, so a forgotten variable cannot ship a guessable key.
"""
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent
DATA_DIR = Path(os.environ.get("SAFETYNET_DATA_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEFAULT_SECRET_KEY = "insecure-embedded-default-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = env_bool("DEBUG", True)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured(
        "Refusing to start with DEBUG off and the default SECRET_KEY: set SECRET_KEY in the environment."
    )
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "safetynet.core",         # before django_tasks_db: its `db_worker` (with a heartbeat) replaces theirs
    "django_tasks",
    "django_tasks_db",
    "safetynet.areas",
    "safetynet.registry",
    "safetynet.programs",
    "safetynet.demo",
    "safetynet.dashboards",
    "safetynet.workforce",
    "safetynet.cases",
    "safetynet.publicity",
    "safetynet.payments",     # its migrations only: the history of the tables enrollments and payroll took over
    "safetynet.enrollments",
    "safetynet.payroll",
    "safetynet.verification",
    "safetynet.discovery",
    "safetynet.workload",
    "safetynet.oversight",
    "safetynet.services",
    "safetynet.funding",
    "safetynet.medical",
]

MIDDLEWARE = [
    "safetynet.core.middleware.LocalDebugMiddleware",   # DEBUG's tracebacks for 127.0.0.1/::1 only
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "safetynet.core.middleware.RequestTooLargeMiddleware",   # before anything reads the body (CSRF)
    "safetynet.core.middleware.RefuseNulMiddleware",          # PostgreSQL cannot hold a NUL: 404/400, not 500
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "safetynet.areas.middleware.ActorMiddleware",
    "safetynet.core.middleware.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safetynet.urls"
# What the network tree, the home page and the area API count under each area (areas/selectors.py):
# tables with an `area` foreign key, by app label, as AUTH_USER_MODEL names the user model. The
# registry is above areas in the import order (docs/architecture.md), so the project names them.
# Narrows what a post that sees only its assigned work finds (core.scoping.in_scope; issue 19).
ASSIGNED_WORK_SCOPE = "safetynet.workload.scope.assigned_work"
# Self-paid medical costs the warning run's medical rule reads beside the department's data
# (discovery/warning_run.py `medical_feeds`): functions (county_code, start, end) -> pyarrow.Table.
MEDICAL_COSTS_FEEDS = ["safetynet.medical.feeds.self_paid_rows"]
AREA_COUNTED_MODELS = {"households": "registry.Household", "people": "registry.Person"}
WSGI_APPLICATION = "safetynet.wsgi.application"

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
                "django.template.context_processors.i18n",
                "safetynet.areas.context_processors.actor",
            ],
        },
    },
]

DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'safetynet.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions: writers queue instead of failing with "database is locked"
    # when a read turns into a write (the audit chain reads its head, then appends).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        # wal_autocheckpoint: checkpoint every 20,000 pages (80 MB of WAL) instead of 1,000, so a
        # page written by every case step (the audit head, index roots) is copied into the
        # database once per checkpoint, not once per few steps: ~8 % of the case path
        # (bench/bench_cases.py). The WAL is folded in at the latest when the last connection closes.
        "init_command": ("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; "
                         "PRAGMA case_sensitive_like=ON; PRAGMA wal_autocheckpoint=20000;"),
    }
# PostgreSQL: the hot statements of core/statements.py are prepared on the server once per
# connection. Set PREPARED_STATEMENTS=off behind a transaction-mode pooler (PgBouncer), which
# cannot keep prepared statements across transactions.
PREPARED_STATEMENTS = os.environ.get("PREPARED_STATEMENTS", "on").lower() not in ("0", "off", "false", "no")
# PostgreSQL: a unit of work (core/unitofwork.py) sends its queued UPDATEs ahead, in pipeline mode,
# once this many are queued, so the server works while the client goes on with the next cases
# (bench/bench_cases.py); 0: everything at the end. Needs PREPARED_STATEMENTS.
WRITE_BATCH_SEND_EVERY = int(os.environ.get("WRITE_BATCH_SEND_EVERY", "16"))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): 5 failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The private root: bank files, import reports, case attachments (core/privatefiles.py). No URL
# serves it (core/checks.py refuses one); files leave only through views that check the post.
MEDIA_ROOT = DATA_DIR / "private"
MEDIA_ROOT.mkdir(mode=0o700, exist_ok=True)   # the app's own user alone reads it
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# A request body besides uploaded files (core.middleware.RequestTooLargeMiddleware answers 413 past it):
# 8 MB, so that a designated institution's monthly claim listing its 50,000 visits as JSON fits (issue 20).
DATA_UPLOAD_MAX_MEMORY_SIZE = 8 * 1024 * 1024
STORAGES = {
    "default": {"BACKEND": "safetynet.core.privatefiles.PrivateStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_FAILURE_VIEW = "safetynet.core.views.csrf_failure"   # the 403 page in the user's language
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True

TASKS = {
    "default": {
        "BACKEND": os.environ.get("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}
# Workers' heartbeats (core/workers.py): a worker beats every WORKER_HEARTBEAT_SECONDS; a job whose
# worker has not beaten for WORKER_STALE_SECONDS (or whose process on this machine is gone) is taken
# back by the next worker to start or by any running worker's check every WORKER_CHECK_SECONDS, and
# an idempotent job is run again up to JOB_MAX_ATTEMPTS attempts in all.
WORKER_HEARTBEAT_SECONDS = float(os.environ.get("WORKER_HEARTBEAT_SECONDS", "5"))
WORKER_STALE_SECONDS = float(os.environ.get("WORKER_STALE_SECONDS", "60"))
WORKER_CHECK_SECONDS = float(os.environ.get("WORKER_CHECK_SECONDS", "30"))
JOB_MAX_ATTEMPTS = int(os.environ.get("JOB_MAX_ATTEMPTS", "3"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

# Division codes and the demo county (正定县, Hebei): the extract lives in the repository.
DEMO_COUNTY_CODE = os.environ.get("DEMO_COUNTY_CODE", "130123")

# Active discovery (issue 17): the largest photo a grid report keeps (the phone shrinks photos to
# well under this before sending; a larger one is refused and the report kept without it).
DISCOVERY_PHOTO_MAX_BYTES = int(os.environ.get("DISCOVERY_PHOTO_MAX_BYTES", str(2 * 1024 * 1024)))
COMPLAINT_ATTACHMENT_MAX_BYTES = int(os.environ.get("COMPLAINT_ATTACHMENT_MAX_BYTES", str(5 * 1024 * 1024)))
