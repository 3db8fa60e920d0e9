"""``manage.py media_server``: render deploy/nginx-rtmp.conf into a scratch folder and run
Debian's nginx with it in the foreground (docs/livestream.md, "Media server").

Everything nginx writes (pid, temp files, logs, HLS fragments) stays under ``--dir``: no system
service or root path is touched. ``--render-only`` writes the config and prints the command.
"""

import os
import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

TEMPLATE = Path(settings.BASE_DIR) / "deploy" / "nginx-rtmp.conf"
MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so"


def render_config(*, directory: Path, rtmp_port: int, http_port: int, hooks: str, listen: str = "127.0.0.1") -> Path:
    """Write ``<directory>/nginx.conf`` (and its folders); return its path."""
    directory = directory.resolve()
    for sub in ("hls", "logs", "tmp"):
        (directory / sub).mkdir(parents=True, exist_ok=True)
    text = TEMPLATE.read_text().format(
        dir=directory, rtmp_port=rtmp_port, http_port=http_port, hooks=hooks.rstrip("/"), listen=listen, module=MODULE
    )
    path = directory / "nginx.conf"
    path.write_text(text)
    return path


class Command(BaseCommand):
    help = "Run the RTMP → HLS media server (Debian nginx + libnginx-mod-rtmp) from the shipped config."

    def add_arguments(self, parser):
        parser.add_argument("--dir", default=str(Path(settings.VAR_DIR) / "media-server"))
        parser.add_argument("--rtmp-port", type=int, default=1935)
        parser.add_argument("--http-port", type=int, default=8080)
        parser.add_argument("--hooks", default="http://127.0.0.1:8000", help="Base URL of Jishi for the callbacks.")
        parser.add_argument("--listen", default="127.0.0.1")
        parser.add_argument("--render-only", action="store_true")

    def handle(self, *args, **options):
        config = render_config(
            directory=Path(options["dir"]),
            rtmp_port=options["rtmp_port"],
            http_port=options["http_port"],
            hooks=options["hooks"],
            listen=options["listen"],
        )
        command = ["nginx", "-c", str(config), "-p", str(config.parent)]
        if options["render_only"]:
            self.stdout.write(" ".join(command))
            return
        if not shutil.which("nginx") or not Path(MODULE).exists():
            raise CommandError("Needs Debian's nginx and libnginx-mod-rtmp: apt-get install nginx libnginx-mod-rtmp")
        os.execvp("nginx", command)
