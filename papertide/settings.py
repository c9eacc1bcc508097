"""Django settings for papertide. Every value an operator may change is read through `papertide.conf`
and documented in docs/settings.md."""

import re
from pathlib import Path

from papertide import conf
from papertide.ingest.schedule import DailySchedule, HourlySchedule

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = conf.ensure_data_dir()

SECRET_KEY = conf.secret_key(DATA_DIR)
DEBUG = conf.env_bool("DEBUG", False)
ALLOWED_HOSTS = conf.env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = conf.env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "papertide.accounts",  # first: its sign-in and password-reset pages replace the admin's
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",  # its docs page's scripts are then served from here, not from a CDN
    "papertide.papers",
    "papertide.search",
    "papertide.ingest",
    "papertide.digests",
    "papertide.recs",
    "papertide.discussion",
    "papertide.collections",
    "papertide.authors",
    "papertide.notifications",
    "papertide.topics",
    "papertide.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "papertide.web.nul_bytes.RefuseNulMiddleware",
    "papertide.web.static_compression.CompressedStaticMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "papertide.api.middleware.ApiMiddleware",
    "papertide.web.search_limit.SearchLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "papertide.web.visits.VisitMiddleware",
    "papertide.web.middleware.ContentSecurityPolicyMiddleware",
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

DATABASES = {"default": conf.database(DATA_DIR)}
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

# Sessions read from the shared "readers" cache, written through to the database: a logged-in page view costs no
# session query (docs/benchmarks.md).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_CACHE_ALIAS = "readers"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Behind a TLS-terminating proxy (production): secure cookies, HSTS, http→https redirects.
HTTPS = conf.env_bool("HTTPS", False)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = conf.env_int("HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_PRELOAD = conf.env_bool("HSTS_PRELOAD", True)

# `papertide serve`
SERVE_HOST = conf.env_str("HOST", "127.0.0.1")
SERVE_PORT = conf.env_int("PORT", 8000, minimum=1, maximum=65535)
SERVE_WORKERS = conf.env_int("WORKERS", 2, minimum=1, maximum=64)
# How long a client may take to send a request head, or pause while sending a body (web/request_buffering.py).
SERVE_REQUEST_SECONDS = conf.env_int("REQUEST_SECONDS", 30, minimum=1, maximum=3600)

# One cache shared by all web workers on this machine (the API's rate-limit counters live there on SQLite).
CACHES = {
    "default": {
        "BACKEND": "papertide.file_cache.FileCache",
        "LOCATION": DATA_DIR / "cache",
    },
    # What each logged-in reader's every page asks for: their session and remembered feed filter. Apart from the
    # default cache so that it holds every active reader: a file cache over MAX_ENTRIES drops a third of its
    # entries at each write, and 200 readers in a 300-entry cache turned every page view into a database read
    # and a directory listing (logged-in feed p99 2x anonymous, docs/benchmarks.md).
    "readers": {
        "BACKEND": "papertide.file_cache.FileCache",
        "LOCATION": DATA_DIR / "reader-cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},  # < 1 kB each; written at log-in and on a change, not per view
    },
    # Rendered pages, shared by every reader and every web process on this machine (papertide/web/page_cache.py).
    "pages": {
        "BACKEND": "papertide.file_cache.FileCache",
        "LOCATION": DATA_DIR / "page-cache",
        "VERSION": 2,  # pages kept as bytes since 2026-12-07: what an older version kept is not read
        # ~25 kB each on disk (compressed); each process keeps the 100 it last read (~150 kB each) as they are
        "OPTIONS": {"MAX_ENTRIES": 3000, "REMEMBER": 100},
    },
    # Readers' "For you" rankings (their personal part), shared by every web process and the worker, which ranks
    # ahead (web/ahead.py). ~10 kB a day's ranking, ~50 kB a week's.
    "rankings": {
        "BACKEND": "papertide.file_cache.FileCache",
        "LOCATION": DATA_DIR / "ranking-cache",
        "OPTIONS": {"MAX_ENTRIES": 50_000},
    },
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Web processes on several machines: what one of them writes (a session, a log-out, a reader's filter, an unread
    # count) every other must see, so the shared caches live in the database (papertide_cache, web/models.py).
    # Rendered pages and cards stay with each process: their keys carry the versions they were made from.
    CACHES["default"] = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "papertide_cache",
                         "KEY_PREFIX": "site", "OPTIONS": {"MAX_ENTRIES": 200_000}}
    CACHES["readers"] = {**CACHES["default"], "KEY_PREFIX": "readers"}
    # The worker that ranks ahead may run on another machine than the readers' web process.
    CACHES["rankings"] = {**CACHES["default"], "KEY_PREFIX": "rankings"}
PAGE_CACHE_SECONDS = conf.env_int("PAGE_CACHE_SECONDS", 30, minimum=0, maximum=3600)

# API (docs/api.md)
API_RATE_LIMIT = conf.env_int("API_RATE_LIMIT", 120, minimum=0)  # requests per window; 0 = no limit
API_RATE_WINDOW = conf.env_int("API_RATE_WINDOW", 60, minimum=1, maximum=86_400)  # seconds
# Searches (page, APIs, search feeds) per client or reader per window; 0 = no limit (web/search_limit.py).
SEARCH_RATE_LIMIT = conf.env_int("SEARCH_RATE_LIMIT", 60, minimum=0)
SEARCH_RATE_WINDOW = conf.env_int("SEARCH_RATE_WINDOW", 60, minimum=1, maximum=86_400)  # seconds
SEARCH_QUERY_CACHE = conf.env_int("SEARCH_QUERY_CACHE", 2048, minimum=0)  # query vectors kept per web process
SEARCH_QUERY_INT8 = conf.env_bool("SEARCH_QUERY_INT8", True)  # queries embedded with int8 matrix products

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
# Reverse proxies in front of papertide whose X-Forwarded-For is believed (rate limits key on the address).
TRUSTED_PROXIES = conf.env_int("TRUSTED_PROXIES", 0, minimum=0, maximum=10)
# Failed log-ins (and password-reset requests) allowed per client address and per user name.
LOGIN_RATE_LIMIT = conf.env_int("LOGIN_RATE_LIMIT", 10, minimum=1)
LOGIN_RATE_WINDOW = conf.env_int("LOGIN_RATE_WINDOW", 900, minimum=1, maximum=86_400)  # seconds

# Email (docs/settings.md#email). Without an SMTP host, mail is written to DATA_DIR/outbox as .eml files.
SMTP_HOST = conf.env_str("SMTP_HOST", "")
if SMTP_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = SMTP_HOST
    EMAIL_PORT = conf.env_int("SMTP_PORT", 587, minimum=1, maximum=65535)
    EMAIL_HOST_USER = conf.env_str("SMTP_USER", "")
    EMAIL_HOST_PASSWORD = conf.env_str("SMTP_PASSWORD", "")
    _security = conf.env_choice("SMTP_SECURITY", "starttls", ("starttls", "ssl", "none"))
    EMAIL_USE_TLS, EMAIL_USE_SSL = _security == "starttls", _security == "ssl"
    EMAIL_TIMEOUT = conf.env_float("SMTP_TIMEOUT", 30.0, minimum=1.0, maximum=600.0)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = DATA_DIR / "outbox"
# A new account works once its owner opens a link mailed to them; sign-up then never says whether an address has
# an account (its owner is mailed instead). Off by default when mail stays in the outbox (a laptop).
SIGNUP_CONFIRM = conf.env_bool("SIGNUP_CONFIRM", bool(SMTP_HOST))
SIGNUP_CONFIRM_DAYS = 3
DEFAULT_FROM_EMAIL = SERVER_EMAIL = conf.env_str("FROM_EMAIL", "papertide <papertide@localhost>")
# Where the site is reached from outside: links in emails are built on it. Without it, `papertide serve`
# uses the address it listens on (its --host and --port), see cli.serve.
BASE_URL = conf.env_str("BASE_URL", f"http://{SERVE_HOST}:{SERVE_PORT}").rstrip("/")
BASE_URL_GIVEN = conf.is_set("BASE_URL")

# Submissions
SUBMISSION_MAX_AGE_DAYS = conf.env_int("SUBMISSION_MAX_AGE_DAYS", 14, minimum=0)
SUBMISSIONS_PER_DAY = conf.env_int("SUBMISSIONS_PER_DAY", 10, minimum=0)

# Trending (docs/trending.md)
TRENDING_HALF_LIFE_HOURS = conf.env_float("TRENDING_HALF_LIFE_HOURS", 24.0, minimum=0.1, maximum=24 * 365)
TRENDING_EXTERNAL_UPVOTE_WEIGHT = conf.env_float("TRENDING_EXTERNAL_UPVOTE_WEIGHT", 1.0, minimum=0.0, maximum=100.0)
TRENDING_GITHUB_STAR_WEIGHT = conf.env_float("TRENDING_GITHUB_STAR_WEIGHT", 1.0, minimum=0.0, maximum=100.0)

# Site behaviour
SITE_NAME = conf.env_str("SITE_NAME", "papertide")
PAPERS_PER_PAGE = conf.env_int("PAPERS_PER_PAGE", 50, minimum=1, maximum=500)
# What the feeds show a reader who has chosen no filter, e.g. "cs.CV,cs.LG" or "-hep-*" (papers/feed_filter.py).
FEED_CATEGORIES = conf.env_filter("FEED_CATEGORIES", "")

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

# GitHub stars (papertide/ingest/stars.py, docs/topics.md#github-stars): off unless the operator turns them on, since
# they call a service outside the site.
GITHUB_TOKEN = conf.env_str("GITHUB_TOKEN", "")
GITHUB_STARS = conf.env_bool("GITHUB_STARS", bool(GITHUB_TOKEN))
GITHUB_API_URL = conf.env_str("GITHUB_API_URL", "https://api.github.com")
# Without a token GitHub allows 60 requests an hour; with one, 5,000.
GITHUB_STARS_PER_RUN = conf.env_int("GITHUB_STARS_PER_RUN", 4000 if GITHUB_TOKEN else 50, minimum=1)
GITHUB_STARS_REFRESH_HOURS = conf.env_int("GITHUB_STARS_REFRESH_HOURS", 24, minimum=1)
GITHUB_STARS_SCHEDULE = HourlySchedule(conf.env_int("GITHUB_STARS_EVERY_HOURS", 1, minimum=1, maximum=24))

# AI summaries (papertide/ingest/summaries.py, docs/topics.md#ai-summaries): only when an endpoint is configured.
LLM_URL = conf.env_str("LLM_URL", "")  # an OpenAI-compatible base URL, e.g. http://localhost:11434/v1 (Ollama)
LLM_MODEL = conf.env_str("LLM_MODEL", "")
LLM_API_KEY = conf.env_str("LLM_API_KEY", "")
LLM_TIMEOUT = conf.env_float("LLM_TIMEOUT", 120.0, minimum=1.0, maximum=3600.0)
LLM_REQUESTS_PER_MINUTE = conf.env_float("LLM_REQUESTS_PER_MINUTE", 30.0, minimum=0.1, maximum=100_000.0)
LLM_PAPERS_PER_RUN = conf.env_int("LLM_PAPERS_PER_RUN", 500, minimum=1)
LLM_PRICE_INPUT = conf.env_float("LLM_PRICE_INPUT", 0.0, minimum=0.0, maximum=10_000.0)  # per million tokens
LLM_PRICE_OUTPUT = conf.env_float("LLM_PRICE_OUTPUT", 0.0, minimum=0.0, maximum=10_000.0)
LLM_SCHEDULE = HourlySchedule(1)
if LLM_URL and not LLM_MODEL:
    raise conf.ConfigError("PAPERTIDE_LLM_URL is set but PAPERTIDE_LLM_MODEL is not: name the model to ask "
                           "(e.g. llama3.2 for Ollama)")

# Digests (docs/digests.md)
DIGEST_TIME = conf.env_str("DIGEST_TIME", "07:00")
DIGEST_TIMEZONE = conf.env_str("DIGEST_TIMEZONE", "America/New_York")
DIGEST_DAYS = conf.env_list("DIGEST_DAYS", ["mon", "tue", "wed", "thu", "fri"])
DIGEST_SCHEDULE = DailySchedule.parse(DIGEST_TIME, DIGEST_TIMEZONE, DIGEST_DAYS, setting="DIGEST")
WEEKLY_DIGEST_SCHEDULE = DailySchedule.parse(DIGEST_TIME, DIGEST_TIMEZONE, ["mon"], setting="DIGEST")
# Notification emails (docs/discussion.md#notifications): at most one a day per reader, every day at the digests' time.
NOTIFICATION_EMAIL_SCHEDULE = DailySchedule.parse(DIGEST_TIME, DIGEST_TIMEZONE,
                                                  ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], setting="DIGEST")
DIGEST_SEND_RATE = conf.env_float("DIGEST_SEND_RATE", 0.0, minimum=0.0, maximum=10_000.0)  # messages/s; 0: no limit
DIGEST_SEND_LEASE_SECONDS = conf.env_int("DIGEST_SEND_LEASE_SECONDS", 600, minimum=10)
UNSUBSCRIBE_MAILTO = conf.env_str("UNSUBSCRIBE_MAILTO", DEFAULT_FROM_EMAIL.rpartition("<")[2].rstrip(">").strip())

# Search (docs/search.md)
EMBEDDING_MODEL = conf.env_str("EMBEDDING_MODEL", "all-MiniLM-L6-v2")
# Where `papertide index` embeds papers (queries are always embedded on the CPU, in the web process).
EMBEDDING_DEVICE = conf.env_str("EMBEDDING_DEVICE", "cpu")
if not re.fullmatch(r"cpu|cuda(:\d+)?|mps", EMBEDDING_DEVICE):
    raise conf.ConfigError(f"PAPERTIDE_EMBEDDING_DEVICE={EMBEDDING_DEVICE!r}: use cpu, cuda, cuda:N or mps")
KEYPHRASES = conf.env_bool("KEYPHRASES", True)  # topics/stage.py: part of the index stage
TOPIC_MAP = conf.env_bool("TOPIC_MAP", True)  # topics/projection.py: part of the index stage
SEARCH_INDEX_DIR = DATA_DIR / "index"
# How long an index run may take to embed a chunk it claimed before another run takes the chunk over (search/indexer.py).
INDEX_CLAIM_SECONDS = conf.env_int("INDEX_CLAIM_SECONDS", 600, minimum=1)
SEARCH_EXACT_THRESHOLD = conf.env_int("SEARCH_EXACT_THRESHOLD", 20_000, minimum=0)
# Where vector search reads: "pgvector" (a table in PostgreSQL, one copy for every machine), "files" (in each machine's
# index folder), or "auto": pgvector on a PostgreSQL database that has it, else files (search/service.py).
SEARCH_VECTORS = conf.env_choice("SEARCH_VECTORS", "auto", ("auto", "pgvector", "files"))
if SEARCH_VECTORS == "pgvector" and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise conf.ConfigError("PAPERTIDE_SEARCH_VECTORS=pgvector needs PostgreSQL: set PAPERTIDE_DATABASE_URL")
SIMILAR_PAPERS = conf.env_int("SIMILAR_PAPERS", 6, minimum=0, maximum=50)
SEARCH_MIN_SIMILARITY = conf.env_float("SEARCH_MIN_SIMILARITY", 0.2, minimum=-1.0, maximum=1.0)
# Below this cosine for the closest paper, the search page says there is no close match (docs/search.md).
SEARCH_CLOSE_MATCH = conf.env_float("SEARCH_CLOSE_MATCH", 0.3, minimum=-1.0, maximum=1.0)
SEARCH_MAX_RESULTS = 500  # papers a search page can page through

# "For you" (docs/recommendations.md)
# How much the community's trending score counts against the reader's own score (both scaled to [0, 1]).
RECS_TRENDING_WEIGHT = conf.env_float("RECS_TRENDING_WEIGHT", 0.3, minimum=0.0, maximum=100.0)
RECS_MIN_POSITIVES = conf.env_int("RECS_MIN_POSITIVES", 3, minimum=1, maximum=1000)  # before: "upvote a few"
RECS_COMMUNITY_SECONDS = conf.env_int("RECS_COMMUNITY_SECONDS", 300, minimum=0)  # reload of everyone's saves
# How long a reader's ranking of a listing is kept for every process (its personal part; trending is blended in at
# each view): the worker ranks the latest day ahead for readers who may come back logged in (web/ahead.py).
RECS_KEEP_SECONDS = conf.env_int("RECS_KEEP_SECONDS", 86_400, minimum=0, maximum=7 * 86_400)
RECS_RECENT_DAYS = conf.env_int("RECS_RECENT_DAYS", 7, minimum=1, maximum=366)  # listed days the "For you" page covers

# Discussion (docs/discussion.md): comments per hour for an account, for a new one, and from one address.
COMMENT_LIMIT = conf.env_int("COMMENT_LIMIT", 30, minimum=1)
COMMENT_NEW_LIMIT = conf.env_int("COMMENT_NEW_LIMIT", 5, minimum=0)
COMMENT_ADDRESS_LIMIT = conf.env_int("COMMENT_ADDRESS_LIMIT", 60, minimum=0)  # 0 = no limit per address
# An account is new while younger than this, or while its comments have fewer upvotes than COMMENT_TRUSTED_UPVOTES.
COMMENT_NEW_ACCOUNT_HOURS = conf.env_float("COMMENT_NEW_ACCOUNT_HOURS", 24.0, minimum=0.0, maximum=24.0 * 365)
COMMENT_TRUSTED_UPVOTES = conf.env_int("COMMENT_TRUSTED_UPVOTES", 2, minimum=0)
# How often an open paper page asks for comments posted since it was shown (discussion/views.new_comments); 0: never.
COMMENT_POLL_SECONDS = conf.env_int("COMMENT_POLL_SECONDS", 30, minimum=0, maximum=3600)

# Author claims (docs/discussion.md#author-claims): addresses whose readers confirm their own claims by email.
# Entries: a domain ("@uni.example"), an address, or an ORCID iD bound to an address ("0000-0002-1825-0097=a@b.c").
AUTHOR_CLAIM_ALLOW = conf.env_list("AUTHOR_CLAIM_ALLOW", [])

# Lines carry the id of the request they were written for (web/request_id.py); "json": one object a line.
LOG_FORMAT = conf.env_choice("LOG_FORMAT", "plain", ("plain", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "papertide.logs.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"},
                   "json": {"()": "papertide.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": conf.env_choice(
        "LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR")
    )},
}
