"""Settings resolve from the environment both ways. Each case runs in a fresh interpreter so the
settings module is really re-evaluated."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import json, django; from django.conf import settings; django.setup();"
    "db = settings.DATABASES['default'];"
    "opts = {k: str(v) for k, v in db.get('OPTIONS', {}).items()};"
    "print(json.dumps({'db': db['ENGINE'], 'name': str(db['NAME']), 'opts': opts,"
    "'max_age': db.get('CONN_MAX_AGE'), 'cache': settings.CACHES['default']['BACKEND'],"
    "'layer': settings.CHANNEL_LAYERS['default']['BACKEND'],"
    "'layer_hosts': settings.CHANNEL_LAYERS['default'].get('CONFIG', {}).get('hosts'),"
    "'broker': settings.CELERY_BROKER_URL, 'debug': settings.DEBUG, 'hosts': settings.ALLOWED_HOSTS}))"
)
ENV_KEYS = (
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_URL",
    "REDIS_URL",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "JISHI_ASGI",
    "DB_POOL",
)


def resolve(tmp_path, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    clean.update(JISHI_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings", **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_no_environment_gives_embedded_defaults(tmp_path):
    s = resolve(tmp_path)
    assert s["db"] == "django.db.backends.sqlite3"
    assert s["name"].startswith(str(tmp_path))
    assert "journal_mode=WAL" in s["opts"]["init_command"]
    assert s["opts"]["transaction_mode"] == "IMMEDIATE"
    assert s["cache"].endswith("LocMemCache")
    assert s["layer"] == "channels.layers.InMemoryChannelLayer"
    assert s["broker"] == "filesystem://"
    assert s["debug"] is True


def test_database_and_redis_urls_switch_to_postgres_and_redis(tmp_path):
    s = resolve(
        tmp_path,
        DATABASE_URL="postgres://jishi@db.example:5432/jishi",
        REDIS_URL="redis://cache.example:6379/2",
        DEBUG="false",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="jishi.example,www.jishi.example",
    )
    assert s["db"] == "django.db.backends.postgresql"
    assert s["name"] == "jishi"
    assert s["max_age"] == 60  # persistent connections under gunicorn
    assert s["cache"] == "core.cache.RedisCache"  # Django's RedisCache, failing open
    assert s["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert s["layer_hosts"] == [{"address": "redis://cache.example:6379/2", "socket_timeout": None}]
    assert s["broker"] == "redis://cache.example:6379/2"
    assert s["debug"] is False
    assert s["hosts"] == ["jishi.example", "www.jishi.example"]


def test_asgi_process_uses_the_connection_pool(tmp_path):
    s = resolve(tmp_path, DATABASE_URL="postgres://jishi@db.example:5432/jishi", JISHI_ASGI="1")
    assert s["max_age"] == 0
    assert "max_size" in s["opts"]["pool"]


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
    env.update(
        JISHI_VAR_DIR=str(tmp_path),
        DEBUG="false",
        SECRET_KEY="a" * 20 + "b" * 20 + "-_%!c" * 6,
        ALLOWED_HOSTS="jishi.example",
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "no issues" in out.stdout
