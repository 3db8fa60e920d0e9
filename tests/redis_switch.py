"""A TCP relay to the run's real Redis that a test switches off and on: Redis going down and
coming back for one process, without stopping the shared Redis server; and a counter of the
round trips a test makes to Redis."""

import contextlib
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import redis
import redis.client


class RedisSwitch:
    """``url`` points at the relay. While off, connections are refused and open ones are cut."""

    def __init__(self, redis_url: str):
        parts = urlsplit(redis_url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 6379)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self._address = ("127.0.0.1", port)
        self.url = urlunsplit((parts.scheme, f"127.0.0.1:{port}", parts.path, parts.query, ""))
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def on(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(self._address)
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def off(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            sockets, self._open = self._open, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_RDWR)


class RedisRoundTrips:
    """Counts what is sent to the server: one command or one pipeline through redis-py, or the
    commands the cache sends on its own (``core.cache.RedisCache._send``), each a round trip."""

    def __init__(self, monkeypatch):
        from core.cache import RedisCache

        self.count = 0
        for cls, name in ((redis.Redis, "execute_command"), (redis.client.Pipeline, "execute"), (RedisCache, "_send")):
            original = getattr(cls, name)

            def counted(*args, _original=original, **kwargs):
                self.count += 1
                return _original(*args, **kwargs)

            monkeypatch.setattr(cls, name, counted)


def relay_cache_settings(switch: "RedisSwitch", *, prefix: str, **options) -> dict:
    """``CACHES`` whose default cache reaches Redis through ``switch``, failing fast."""
    fast = {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}
    return {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": switch.url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {**fast, **options},
        }
    }
