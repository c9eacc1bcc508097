"""Django settings for papertide. Every value an operator may change is read through `papertide.conf`
and documented in docs/settings.md."""

from pathlib import Path

from papertide import conf
from papertide.ingest.schedule import DailySchedule

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = conf.ensure_data_dir()

SECRET_KEY = conf.secret_key(DATA_DIR)
DEBUG = conf.env_bool("DEBUG", False)
ALLOWED_HOSTS = conf.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = conf.env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its docs page's scripts are then served from here, not from a CDN
    "papertide.papers",
    "papertide.accounts",
    "papertide.search",
    "papertide.ingest",
    "papertide.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "papertide.api.middleware.ApiMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "papertide.urls"
WSGI_APPLICATION = "papertide.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "papertide.web.context_processors.site",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "papertide.sqlite3",
        # One writer at a time (IMMEDIATE takes the write lock up front, so a busy database waits
        # instead of failing mid-transaction); WAL lets readers proceed while a batch job writes.
        "OPTIONS": {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = conf.env_str("TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
# Static files are served from the installed package by whitenoise: no collectstatic step, no CDN.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
WHITENOISE_MAX_AGE = 3600

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# `papertide serve`
SERVE_HOST = conf.env_str("HOST", "127.0.0.1")
SERVE_PORT = conf.env_int("PORT", 8000, minimum=1, maximum=65535)
SERVE_WORKERS = conf.env_int("WORKERS", 2, minimum=1, maximum=64)

# One cache shared by all web workers (the API's rate-limit counters live there).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": DATA_DIR / "cache",
    }
}

# API (docs/api.md)
API_RATE_LIMIT = conf.env_int("API_RATE_LIMIT", 120, minimum=0)  # requests per window; 0 = no limit
API_RATE_WINDOW = conf.env_int("API_RATE_WINDOW", 60, minimum=1, maximum=86_400)  # seconds

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "profile"
LOGOUT_REDIRECT_URL = "home"

# Submissions
SUBMISSION_MAX_AGE_DAYS = conf.env_int("SUBMISSION_MAX_AGE_DAYS", 14, minimum=0)
SUBMISSIONS_PER_DAY = conf.env_int("SUBMISSIONS_PER_DAY", 10, minimum=0)

# Site behaviour
SITE_NAME = conf.env_str("SITE_NAME", "papertide")
PAPERS_PER_PAGE = conf.env_int("PAPERS_PER_PAGE", 50, minimum=1, maximum=500)

# Ingestion (docs/ingestion.md)
ARXIV_CATEGORIES = conf.env_list("CATEGORIES", ["cs.AI", "cs.CL", "cs.CV", "cs.LG"])
ARXIV_RSS_URL = conf.env_str("ARXIV_RSS_URL", "https://rss.arxiv.org/rss/{categories}")
ARXIV_API_URL = conf.env_str("ARXIV_API_URL", "https://export.arxiv.org/api/query")
ARXIV_OAI_URL = conf.env_str("ARXIV_OAI_URL", "https://oaipmh.arxiv.org/oai")
ARXIV_REQUEST_DELAY = conf.env_float("ARXIV_REQUEST_DELAY", 3.0, minimum=0.0, maximum=600.0)
HF_DAILY_PAPERS_URL = conf.env_str("HF_DAILY_PAPERS_URL", "https://huggingface.co/api/daily_papers")
HTTP_TIMEOUT = conf.env_float("HTTP_TIMEOUT", 60.0, minimum=1.0, maximum=600.0)
HTTP_MAX_RETRY_WAIT = conf.env_float("HTTP_MAX_RETRY_WAIT", 300.0, minimum=0.0, maximum=3600.0)
# arXiv's announcement feeds are rebuilt around midnight US Eastern, Monday to Friday.
INGEST_TIME = conf.env_str("INGEST_TIME", "00:30")
INGEST_TIMEZONE = conf.env_str("INGEST_TIMEZONE", "America/New_York")
INGEST_DAYS = conf.env_list("INGEST_DAYS", ["mon", "tue", "wed", "thu", "fri"])
INGEST_SCHEDULE = DailySchedule.parse(INGEST_TIME, INGEST_TIMEZONE, INGEST_DAYS)

# Search (docs/search.md)
EMBEDDING_MODEL = conf.env_str("EMBEDDING_MODEL", "all-MiniLM-L6-v2")
SEARCH_INDEX_DIR = DATA_DIR / "index"
SEARCH_EXACT_THRESHOLD = conf.env_int("SEARCH_EXACT_THRESHOLD", 20_000, minimum=0)
SIMILAR_PAPERS = conf.env_int("SIMILAR_PAPERS", 6, minimum=0, maximum=50)
SEARCH_MIN_SIMILARITY = conf.env_float("SEARCH_MIN_SIMILARITY", 0.2, minimum=-1.0, maximum=1.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": conf.env_choice(
        "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
    )},
}
