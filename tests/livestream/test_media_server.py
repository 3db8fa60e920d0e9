"""A real media server: Debian's nginx + libnginx-mod-rtmp configured from deploy/nginx-rtmp.conf,
ffmpeg publishing a generated test pattern over RTMP on loopback, Jishi's hooks on the live
server. Skipped (with the reason) where the packages are missing, except in CI (.ci/run installs
them)."""

import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from community.models import Notification, NotificationKind
from livestream.management.commands.media_server import MODULE, render_config
from livestream.models import Room, RoomStatus
from tests.community.factories import UserFollowFactory
from tests.concurrency import wait_for
from tests.livestream.factories import RoomFactory, StreamKeyFactory

pytestmark = [pytest.mark.media_server, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def media_server(tmp_path, live_server, settings):
    missing = [name for name in ("nginx", "ffmpeg") if not shutil.which(name)]
    if missing or not Path(MODULE).exists():
        pytest.skip(
            "needs Debian's nginx, libnginx-mod-rtmp and ffmpeg (apt-get install nginx libnginx-mod-rtmp ffmpeg)"
        )
    rtmp_port, http_port = _free_port(), _free_port()
    config = render_config(
        directory=tmp_path / "media", rtmp_port=rtmp_port, http_port=http_port, hooks=live_server.url
    )
    settings.LIVE_RTMP_RELAY = f"rtmp://127.0.0.1:{rtmp_port}/show"
    settings.LIVE_HLS_URL_TEMPLATE = f"http://127.0.0.1:{http_port}/hls/{{stream}}.m3u8"
    nginx = subprocess.Popen(
        ["nginx", "-c", str(config), "-p", str(config.parent)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        assert wait_for(lambda: _listening(rtmp_port), timeout=10)
        yield {"rtmp": f"rtmp://127.0.0.1:{rtmp_port}/live", "dir": config.parent}
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _broadcast(url: str, *, seconds: int = 60) -> subprocess.Popen:
    return subprocess.Popen(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-t", str(seconds),
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "15",
            "-f", "flv", url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )  # fmt: skip


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""


def test_ffmpeg_publishing_with_the_hosts_key_takes_the_room_live_with_hls_and_stopping_ends_it(
    media_server, live_server, celery_worker
):
    key = StreamKeyFactory()
    room = RoomFactory(host=key.user)
    follower = UserFollowFactory(user=key.user).follower

    ffmpeg = _broadcast(f"{media_server['rtmp']}/{key.key}")
    try:
        assert wait_for(lambda: Room.objects.get(pk=room.pk).status == RoomStatus.LIVE, timeout=20)
        room.refresh_from_db()
        # The URL the room page's player uses serves the playlist written by nginx.
        page = _get(f"{live_server.url}{room.get_absolute_url()}")[1]
        hls = page.split('data-src="', 1)[1].split('"', 1)[0]
        assert room.stream_name in hls and key.key not in hls and key.key not in page
        assert wait_for(lambda: _get(hls)[0] == 200, timeout=20)
        assert "#EXTM3U" in _get(hls)[1]
        assert not list(Path(media_server["dir"], "hls").glob(f"{key.key}*"))
        assert wait_for(
            lambda: Notification.objects.filter(recipient=follower, kind=NotificationKind.LIVE_STARTED).exists(),
            timeout=30,
        )
    finally:
        ffmpeg.terminate()
        ffmpeg.wait(timeout=10)
    assert wait_for(lambda: Room.objects.get(pk=room.pk).status == RoomStatus.ENDED, timeout=20)


def test_a_wrong_or_rotated_key_is_refused_and_nginx_drops_the_stream(media_server):
    from livestream.services.rooms import stream_key_rotate

    key = StreamKeyFactory()
    room = RoomFactory(host=key.user)
    old = key.key
    stream_key_rotate(user=key.user)

    for name in ("sk_wrong", old):
        ffmpeg = _broadcast(f"{media_server['rtmp']}/{name}", seconds=10)
        try:
            code = ffmpeg.wait(timeout=20)
        finally:
            ffmpeg.kill()
        assert code != 0, "ffmpeg kept streaming with a refused key"
        assert b"Input/output error" in ffmpeg.stderr.read()
    time.sleep(0.5)
    assert Room.objects.get(pk=room.pk).status == RoomStatus.SCHEDULED
    assert not list(Path(media_server["dir"], "hls").glob("*.m3u8"))
