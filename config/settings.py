"""Jishi settings: one module, configured from the environment.

With no environment set, everything is embedded (SQLite, in-memory channel layer, local-memory
cache, Celery on kombu's filesystem transport) so a newcomer needs nothing installed. With
``DATABASE_URL`` and ``REDIS_URL`` set, the same code runs on PostgreSQL and Redis.
Every variable is listed in the README.
"""

import os
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("JISHI_VAR_DIR", BASE_DIR / "var"))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="dev-insecure-jishi-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
#: Absolute base URL for links in e-mails (e.g. https://jishi.example).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
#: True inside the ASGI server process (set by config/asgi.py before settings load).
RUNNING_ASGI = env.bool("JISHI_ASGI", default=False)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "core",
    "marketplace",
    "community",
    "headline",
    "livestream",
    "config",  # wiring only: the seed_demo command and the celery app
]

MIDDLEWARE = [
    # First: every error answer under /api/ is the JSON error body, whoever produced it.
    "core.middleware.ApiErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Before sessions and auth: NUL characters anywhere, malformed multipart -> 400 (core/middleware.py).
    "core.middleware.InputGuardMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before common: the language follows the set_language cookie, else
    # Accept-Language, else LANGUAGE_CODE (and responses get "Vary: Accept-Language"). Django's,
    # remembering the language of each cookie and header (core/middleware.py).
    "core.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Django's, making the messages storage on first use (core/middleware.py).
    "core.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A page write that lost a constraint race no service handled: 409, never a 500.
    "core.middleware.ConflictMiddleware",
    # Last (innermost): renders per-request page slots into the finished HTML (core/slots.py).
    "core.slots.SlotMiddleware",
]

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
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "config.context_processors.site",
                "community.context_processors.notifications",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'jishi.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a Celery worker writes; the busy timeout and IMMEDIATE
    # transactions turn "database is locked" into a short wait.
    _db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
else:
    _db["ENGINE"] = "django.db.backends.postgresql"
    if RUNNING_ASGI or env.bool("DB_POOL", default=False):
        # Persistent connections leak under ASGI (see the architecture brief): use the pool there.
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1,
            "max_size": env.int("DB_POOL_MAX_SIZE", default=10),
            "timeout": 10,
        }
    else:
        _db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
        _db["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "community.User"
# Django's ModelBackend, loading the signed-in user and the header's unread badge in one query
# (community/backends.py). Sessions signed in under another backend path sign in again once.
AUTHENTICATION_BACKENDS = ["community.backends.UserBackend"]

# --- Redis: cache, channel layer, Celery ------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
#: Seconds the cache waits to connect to Redis or for an answer before it serves uncached.
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=0.5)

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache on one kept client, failing open when Redis is unreachable
            # (pages and API keep serving, uncached and unthrottled): core/cache.py.
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="jishi"),
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": REDIS_TIMEOUT, "socket_timeout": REDIS_TIMEOUT},
        }
    }
    # Pub/sub layer: the list-based RedisChannelLayer silently dropped ~half of a 200-message
    # burst in the brief's measurements. socket_timeout=None stops redis-py 8 from killing idle
    # sockets every 5 s.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": env("CHANNEL_PREFIX", default="jishi"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Sessions are read from the cache (one Redis GET) and written through to PostgreSQL, which
# stays the store of record: a flushed or unreachable Redis costs a query, never a sign-out.
# core.sessions is Django's cached_db that takes a session read ahead with the page (core/pages.py).
SESSION_ENGINE = "core.sessions"

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_VISIBILITY_TIMEOUT = 3600  # seconds; no task ETA/countdown may exceed this
if REDIS_URL:
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=REDIS_URL)
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT}
else:
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
    CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default="cache+memory://")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_ACKS_LATE = True  # a task killed mid-run is redelivered; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"  # a stray print() in a task is not a warning
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
CELERY_TASK_DEFAULT_QUEUE = "default"
#: The one place a task's queue is chosen (call sites and beat schedules name none). Workers
#: consume every queue (Procfile); deployed, scale them per queue. docs/architecture.md lists
#: the periodic tasks with their schedules and queues.
CELERY_TASK_ROUTES = {
    # sales: the sale clock and what runs on it
    "marketplace.tasks.sales.sale_clock_tick": {"queue": "sales"},
    "marketplace.tasks.sales.orders_expire_overdue": {"queue": "sales"},
    "marketplace.tasks.sales.sale_rankings_recompute": {"queue": "sales"},
    # notify: inbox fan-out, e-mail, question routing
    "community.tasks.sale_followers_notify": {"queue": "notify"},
    "community.tasks.notifications_email": {"queue": "notify"},
    "community.tasks.question_route": {"queue": "notify"},
    "livestream.tasks.room_live_notify": {"queue": "notify"},
    # feeds: interest profiles and the precomputed "for you" feed
    "community.tasks.interest_profiles_refresh": {"queue": "feeds"},
    "community.tasks.interest_profile_rebuild": {"queue": "feeds"},
    "community.tasks.question_feed_rebuild": {"queue": "feeds"},
    "headline.tasks.story_feed_rebuild": {"queue": "feeds"},
    "headline.tasks.trending_refresh": {"queue": "feeds"},
    "headline.tasks.story_followers_notify": {"queue": "notify"},
    # default: housekeeping and image sizes
    "headline.tasks.story_image_sizes": {"queue": "default"},
    "headline.tasks.topic_clock_tick": {"queue": "default"},
    "community.tasks.bans_expire": {"queue": "default"},
    "marketplace.tasks.catalogue.generate_product_image_sizes": {"queue": "default"},
    "marketplace.tasks.orders.orders_complete_overdue": {"queue": "default"},
    "marketplace.tasks.orders.checkout_requests_prune": {"queue": "default"},
    "marketplace.tasks.orders.refunds_auto_approve": {"queue": "default"},
    "community.tasks.clear_expired_sessions": {"queue": "default"},
}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# --- I18n, time -----------------------------------------------------------------------------
# Shoppers' browsers send Accept-Language (zh-CN → 简体中文); LANGUAGE_CODE is only the fallback
# for clients that send none (API scripts, crawlers, the test client): English, the language of
# the source strings. Catalogues and how to update them: docs/architecture.md, "Translations".
LANGUAGE_CODE = env("LANGUAGE_CODE", default="en")
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "locale"]  # the project catalogue; apps keep theirs in <app>/locale/
FORMAT_MODULE_PATH = ["config.formats"]  # our date formats per language (12月12日 / Dec 12)
TIME_ZONE = env("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    # In debug, messages are logged at INFO by logger core.mail (not printed: Celery re-logs
    # a worker's stdout at WARNING).
    default="core.mail.LoggingEmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Jishi <noreply@jishi.local>")

# --- Abuse limits (core/throttles.py; docs/api.md "Limits") ----------------------------------
#: How many reverse proxies append to X-Forwarded-For in front of every request (0: none; the
#: client's address is then the socket's, and the header is ignored).
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
#: Or: the proxies' addresses / CIDR networks whose X-Forwarded-For is believed (comma-separated).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
#: Sign-in lockout (page and token endpoint alike): after this many failures in the window for one
#: account, or from one address, sign-in answers 429 with Retry-After until the window ends.
SIGN_IN_FAILURES_PER_ACCOUNT = env.int("SIGN_IN_FAILURES_PER_ACCOUNT", default=10)
SIGN_IN_FAILURES_PER_IP = env.int("SIGN_IN_FAILURES_PER_IP", default=30)
SIGN_IN_WINDOW_SECONDS = env.int("SIGN_IN_WINDOW_SECONDS", default=900)
#: Per-user limits on posting, pages and API alike (DRF rate syntax: N/second|minute|hour|day).
USER_ACTION_LIMITS = {
    "question": env("LIMIT_QUESTIONS", default="30/hour"),
    "answer": env("LIMIT_ANSWERS", default="60/hour"),
    "review": env("LIMIT_REVIEWS", default="30/hour"),
    "follow": env("LIMIT_FOLLOWS", default="200/hour"),
    "voucher_claim": env("LIMIT_VOUCHER_CLAIMS", default="60/hour"),
}

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an unauthenticated API call then answers 401 with WWW-Authenticate.
        # DRF's, with the token and its person read from the cache (community/authentication.py).
        "community.authentication.CachedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    # DRF's parsers with a depth limit and no NUL characters (core/parsers.py): never a 500 from a body.
    "DEFAULT_PARSER_CLASSES": ["core.parsers.JSONParser", "core.parsers.FormParser", "core.parsers.MultiPartParser"],
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Fixed-window counters: one cache round trip per request (DRF's stock throttles rewrite a
    # list of every request in the window on each call).
    "DEFAULT_THROTTLE_CLASSES": [
        "core.throttles.AnonWindowThrottle",
        "core.throttles.UserWindowThrottle",
    ],
    # Believe X-Forwarded-For only from configured proxies (core.throttles.client_ip does the same
    # for our throttles and the sign-in lockout, and also takes the TRUSTED_PROXIES allow-list).
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="600/minute"),
        "user": env("API_THROTTLE_USER", default="3000/minute"),
        "register": env("API_THROTTLE_REGISTER", default="30/minute"),
    },
    # drf-spectacular's, marking operations our own read-only-for-everyone permissions open to
    # anonymous callers as such (core/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Jishi API",
    "DESCRIPTION": "The REST API of Jishi (集市), the social-commerce marketplace.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "status" field with different choices: name each enum explicitly.
    "ENUM_NAME_OVERRIDES": {
        "ProductStatusEnum": "marketplace.models.ProductStatus",
        "OrderStatusEnum": "marketplace.models.OrderStatus",
        "VisibilityEnum": "core.visibility.Visibility",
        "SaleStatusEnum": "marketplace.models.SaleStatus",
        "DealStatusEnum": "marketplace.models.DealStatus",
        "RoomStatusEnum": "livestream.models.RoomStatus",
    },
}

# --- Marketplace ----------------------------------------------------------------------------
CURRENCY = env("CURRENCY", default="CNY")
ORDER_PAYMENT_TIMEOUT_MINUTES = env.int("ORDER_PAYMENT_TIMEOUT_MINUTES", default=30)
ORDER_AUTO_COMPLETE_DAYS = env.int("ORDER_AUTO_COMPLETE_DAYS", default=7)
#: A refund requested before shipping is approved automatically after this many hours unless the
#: seller approves it sooner; 0 grants every such refund at once.
ORDER_REFUND_AUTO_APPROVE_HOURS = env.int("ORDER_REFUND_AUTO_APPROVE_HOURS", default=48)
#: Days after delivery during which the buyer may ask to return an order.
ORDER_RETURN_WINDOW_DAYS = env.int("ORDER_RETURN_WINDOW_DAYS", default=7)
IDEMPOTENCY_KEY_HOURS = env.int("IDEMPOTENCY_KEY_HOURS", default=24)
#: Seconds a flash deal's admission counter in Redis lives before it is rebuilt from PostgreSQL
#: (marketplace/services/admission.py): how long a lost admission can hold a unit back.
FLASH_ADMISSION_RESYNC_SECONDS = env.int("FLASH_ADMISSION_RESYNC_SECONDS", default=15)
PAYMENT_BACKEND = env("PAYMENT_BACKEND", default="marketplace.payments.SimulatedPaymentBackend")
IMAGE_MAX_UPLOAD_BYTES = env.int("IMAGE_MAX_UPLOAD_BYTES", default=8 * 1024 * 1024)
IMAGE_MAX_PIXELS = env.int("IMAGE_MAX_PIXELS", default=40_000_000)
QUESTION_ROUTING_INVITES = env.int("QUESTION_ROUTING_INVITES", default=5)
# --- community ---
QUESTION_ROUTING_WEEKLY_CAP = env.int("QUESTION_ROUTING_WEEKLY_CAP", default=3)  # invitations per person per 7 days
COMMUNITY_EDIT_WINDOW_MINUTES = env.int("COMMUNITY_EDIT_WINDOW_MINUTES", default=15)
# Moderation: an item with this many open reports is held for review until a moderator decides.
MODERATION_REPORT_THRESHOLD = env.int("MODERATION_REPORT_THRESHOLD", default=3)
# Hold a new account's first N posts for review (0: off), "new" meaning younger than N days.
MODERATION_HOLD_FIRST_POSTS = env.int("MODERATION_HOLD_FIRST_POSTS", default=0)
MODERATION_NEW_ACCOUNT_DAYS = env.int("MODERATION_NEW_ACCOUNT_DAYS", default=7)
INTEREST_HALF_LIFE_DAYS = env.float("INTEREST_HALF_LIFE_DAYS", default=14.0)
QUESTION_FEED_DAYS = env.int("QUESTION_FEED_DAYS", default=180)
QUESTION_FEED_SIZE = env.int("QUESTION_FEED_SIZE", default=100)  # precomputed "for you" entries per user
# A buy, question or answer rebuilds that user's feed this long after the first of a burst (one rebuild per burst).
QUESTION_FEED_REBUILD_DELAY_SECONDS = env.int("QUESTION_FEED_REBUILD_DELAY_SECONDS", default=30)
# --- headline ---
HEADLINE_FEED_SIZE = env.int("HEADLINE_FEED_SIZE", default=400)  # "for you" stories kept per user (Mastodon keeps 400)
HEADLINE_FEED_DAYS = env.int("HEADLINE_FEED_DAYS", default=7)  # how far back "for you" candidates go
HEADLINE_FEED_CANDIDATES = env.int("HEADLINE_FEED_CANDIDATES", default=1000)  # newest stories scored per rebuild
HEADLINE_TRENDING_SIZE = env.int("HEADLINE_TRENDING_SIZE", default=100)
HEADLINE_TRENDING_HALF_LIFE_HOURS = env.float("HEADLINE_TRENDING_HALF_LIFE_HOURS", default=12.0)
HEADLINE_TRENDING_CACHE_SECONDS = env.int("HEADLINE_TRENDING_CACHE_SECONDS", default=900)
HEADLINE_ATTRIBUTION_HOURS = env.int("HEADLINE_ATTRIBUTION_HOURS", default=24)  # a click earns orders this long

# --- Live rooms (livestream; docs/livestream.md) ---
#: Where the room page's player loads HLS from; ``{stream}`` is the room's public stream name.
LIVE_HLS_URL_TEMPLATE = env("LIVE_HLS_URL_TEMPLATE", default="/hls/{stream}.m3u8")
#: The media server's application that writes HLS; the publish hook relays each stream there under
#: the room's public name (empty: HLS is named after the stream key — never in production).
LIVE_RTMP_RELAY = env("LIVE_RTMP_RELAY", default="rtmp://127.0.0.1:1935/show")
#: What hosts point their broadcasting software at (with their stream key as the stream name).
LIVE_RTMP_PUBLISH_URL = env("LIVE_RTMP_PUBLISH_URL", default="rtmp://127.0.0.1:1935/live")
LIVE_CHAT_MAX_LENGTH = env.int("LIVE_CHAT_MAX_LENGTH", default=200)
LIVE_CHAT_RATE_PER_SECOND = env.float("LIVE_CHAT_RATE_PER_SECOND", default=1.0)  # per user, with a burst of:
LIVE_CHAT_BURST = env.int("LIVE_CHAT_BURST", default=5)
LIVE_HEARTS_PER_SECOND = env.int("LIVE_HEARTS_PER_SECOND", default=10)  # per socket; more taps are dropped
#: Seconds between a process's viewer heartbeats; a viewer not beaten for 3x this drops out.
LIVE_PRESENCE_SECONDS = env.float("LIVE_PRESENCE_SECONDS", default=5.0)
#: Orders placed this long after a click from a room to the shop are attributed to the room.
LIVE_ATTRIBUTION_HOURS = env.int("LIVE_ATTRIBUTION_HOURS", default=24)
#: Coalescing (core/realtime.py): at most one frame per socket per REALTIME_FRAME_SECONDS, and one
#: forward to the other ASGI processes per REALTIME_PUBLISH_SECONDS.
REALTIME_FRAME_SECONDS = env.float("REALTIME_FRAME_SECONDS", default=0.2)
REALTIME_PUBLISH_SECONDS = env.float("REALTIME_PUBLISH_SECONDS", default=0.1)
#: Connections each ASGI process keeps to Redis for the realtime counters (bursts queue for one).
REALTIME_REDIS_CONNECTIONS = env.int("REALTIME_REDIS_CONNECTIONS", default=16)

# --- Security (production) ------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
# The media server calls its hooks over plain HTTP on the private network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^ping$", r"^live/media/"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
