"""Schema fuzzing (issue 13, point 5): schemathesis (pinned in requirements-dev.txt) runs over
``/api/schema/`` against a live server on the test database (PostgreSQL in CI), once anonymously
and once with a token, and must find no server error and no response that contradicts the
schema. Each run is bounded (``--max-time``, 40 s by default: ``JISHI_FUZZ_SECONDS``;
``--max-examples``) so the suite stays well inside CI's limit: the coverage phase (boundary and
hostile values for every parameter, operation by operation) first, then random fuzzing with what
time is left. A fixed seed (``JISHI_FUZZ_SEED``) makes a failure reproducible: the output names
the request and a ``curl`` line. On a busy machine the budget covers fewer operations; run it
longer with ``JISHI_FUZZ_SECONDS=300`` after adding endpoints.

Operations that would end the token's session for the rest of the run (revoking the token,
changing the password) are left out of the signed-in run; the anonymous run covers them.

The fuzzer's server (:func:`fuzz_server`) is Django's live server without threads, so it answers
every request with ``Connection: close`` and closes the connection, as gunicorn's sync workers
(our deployment) do. Django's threaded live server keeps connections alive but frames a request
body by ``Content-Length`` only. The coverage phase sends checkout forms such as
``{"address": null}``, which ``requests`` encodes to nothing and sends as ``Transfer-Encoding:
chunked``, the empty last chunk ``0\\r\\n\\r\\n`` alone; the server answered without reading it,
then read ``0`` as the connection's next request line and answered that with ``http.server``'s
bare error page, no status line. When the fuzzer had sent its next request (``address=1``) on
the connection before the page arrived (a loaded machine), it read the page as the answer: CI's
"Connection aborted. <!DOCTYPE HTML>" on ``POST /api/v1/checkout/``, a finding about the test
server, not the API. gunicorn reads chunked bodies (gthread) or closes (sync).
:func:`test_a_body_the_fuzzers_server_cannot_frame_is_not_its_next_request` sends that request.
"""

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread
from rest_framework.authtoken.models import Token

from core.throttles import AnonWindowThrottle, ScopedWindowThrottle, UserWindowThrottle
from tests.community.factories import AnswerFactory, QuestionFactory, UserFactory
from tests.marketplace.factories import CategoryFactory, SaleEventFactory, ShopFactory, VoucherFactory, make_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

CHECKS = "not_a_server_error,response_schema_conformance"
MAX_SECONDS = int(os.environ.get("JISHI_FUZZ_SECONDS", "40"))
SEED = int(os.environ.get("JISHI_FUZZ_SEED", "13"))
#: What would sign the fuzzer's own token out mid-run.
SESSION_ENDING = r"auth/(token/revoke|password)|me/(password|token)|logout"


class _ClosingServer(WSGIServer):
    """Django's development server without threads: its ``ServerHandler`` then answers every
    request with ``Connection: close`` and closes the connection (persistent connections need a
    threading server, ``django.core.servers.basehttp``)."""

    def __init__(self, *args, connections_override=None, **kwargs):
        super().__init__(*args, **kwargs)  # the thread applies connections_override itself


class _ClosingServerThread(LiveServerThread):
    server_class = _ClosingServer


@pytest.fixture
def fuzz_server(transactional_db, settings):
    """The base URL of a live server on the test database that serves one request per connection
    (see the module docstring); the fuzzer sends one request at a time (``--workers 1``)."""
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost"]
    thread = _ClosingServerThread("localhost", StaticFilesHandler)
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://localhost:{thread.port}"
    thread.terminate()


@pytest.fixture
def fuzz_world(settings, monkeypatch):
    """Rows for the fuzzer to find (their ids and slugs go into its config, so it reaches past
    the 404s into the views), and limits out of its way (they are tested elsewhere)."""
    for throttle in (AnonWindowThrottle, UserWindowThrottle, ScopedWindowThrottle):
        monkeypatch.setattr(throttle, "THROTTLE_RATES", {"anon": None, "user": None, "register": None})
    settings.USER_ACTION_LIMITS = {}
    settings.SIGN_IN_FAILURES_PER_ACCOUNT = settings.SIGN_IN_FAILURES_PER_IP = 10**6
    shop = ShopFactory(owner=UserFactory(username="fuzz-seller"), slug="fuzz-shop")
    product = make_product(shop=shop, title="Fuzz tea", category=CategoryFactory(slug="fuzz-tea"))
    answer = AnswerFactory(question=QuestionFactory(product=product))
    sale = SaleEventFactory(slug="fuzz-sale")
    voucher = VoucherFactory(shop=shop)
    user = UserFactory(username="fuzz-user")
    known = {
        r"^/api/v1/products/\\{id\\}": {"id": product.pk},
        r"^/api/v1/questions/\\{id\\}": {"id": answer.question_id},
        r"^/api/v1/answers/\\{id\\}": {"id": answer.pk},
        r"^/api/v1/shops/\\{slug\\}": {"slug": shop.slug},
        r"^/api/v1/categories/\\{slug\\}": {"slug": "fuzz-tea"},
        r"^/api/v1/sales/\\{slug\\}": {"slug": sale.slug},
        r"^/api/v1/vouchers/\\{id\\}": {"id": voucher.pk},
        r"^/api/v1/cart/items/\\{product_id\\}": {"product_id": product.pk},
    }
    lines = ["[auth]", "auto-signup = false", "", "[parameters]", '"path.username" = "fuzz-seller"', ""]
    for regex, parameters in known.items():
        values = ", ".join(f'"path.{name}" = {value!r}'.replace("'", '"') for name, value in parameters.items())
        lines += ["[[operations]]", f'include-path-regex = "{regex}"', f"parameters = {{ {values} }}", ""]
    return {"token": Token.objects.create(user=user).key, "config": "\n".join(lines)}


def _schemathesis(base_url: str, world: dict, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    config = tmp_path / "schemathesis.toml"
    config.write_text(world["config"])
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        "--config-file",
        str(config),
        "--no-color",
        "run",
        f"{base_url}/api/schema/",
        "--checks",
        CHECKS,
        "--phases",
        os.environ.get("JISHI_FUZZ_PHASES", "coverage,fuzzing"),
        "--max-examples",
        os.environ.get("JISHI_FUZZ_EXAMPLES", "6"),
        "--max-time",
        str(MAX_SECONDS),
        "--seed",
        str(SEED),
        # one worker: with two threads, hypothesis' ast.parse can hit CPython 3.11's
        # "AST constructor recursion depth mismatch" SystemError (cpython gh-106905, fixed in
        # 3.12), a crash of the fuzzer itself seen in CI, not a finding about the API
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        *extra,
    ]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=MAX_SECONDS * 4 + 120)


def _assert_clean(result: subprocess.CompletedProcess):
    output = result.stdout + result.stderr
    print(output[-4000:])  # the run's summary (pytest shows it with -s or on failure)
    assert "Operations:" in output, output[-3000:]  # the schema loaded and operations were selected
    assert result.returncode == 0, output[-12000:]
    tested = re.search(r"Tested: (\d+)", output)
    assert tested and int(tested.group(1)) > 0, "the fuzzer tested no operation within its time budget"


def test_the_api_schema_fuzzed_anonymously(fuzz_server, fuzz_world, tmp_path):
    _assert_clean(_schemathesis(fuzz_server, fuzz_world, tmp_path))


def test_the_api_schema_fuzzed_with_a_token(fuzz_server, fuzz_world, tmp_path):
    result = _schemathesis(
        fuzz_server,
        fuzz_world,
        tmp_path,
        "--header",
        f"Authorization: Token {fuzz_world['token']}",
        "--exclude-path-regex",
        SESSION_ENDING,
    )
    _assert_clean(result)


def test_a_body_the_fuzzers_server_cannot_frame_is_not_its_next_request(fuzz_server):
    """CI's failure, deterministically: a checkout whose empty form body comes chunked, as
    ``requests`` sends ``data={"address": None}``. The server answers it (411: the input guard
    refuses a body without a Content-Length, which Django could not read) and closes the
    connection; the threaded live server instead kept it open and then answered the chunk's
    ``0`` with an error page without a status line, which a next request on the connection read
    as its answer."""
    host, port = fuzz_server.removeprefix("http://").split(":")
    request = (
        "POST /api/v1/checkout/ HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\nAuthorization: \r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    )
    received = b""
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(request.encode())
        while chunk := sock.recv(65536):  # until the server closes the connection
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n")[1:])
    # one answer: the threaded live server added b'<!DOCTYPE HTML>...Bad request syntax (\'0\')...'
    assert received.count(b"HTTP/1.") == 1 and b"<!DOCTYPE HTML>" not in received
    assert head.startswith(b"HTTP/1.1 411 ") and json.loads(body)["error"]["code"] == "length_required"
    assert headers.get("Connection") == "close"
