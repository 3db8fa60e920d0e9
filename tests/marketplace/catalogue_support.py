"""Shared helpers for the catalogue tests: image bytes, uploads, live deals."""

import struct
import zlib
from datetime import timedelta
from io import BytesIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from marketplace.demo import catalogue as demo
from marketplace.models import Deal, DealStatus, SaleEvent


def image_bytes(fmt: str = "JPEG", size=(64, 48), color="red", exif: Image.Exif | None = None) -> bytes:
    out = BytesIO()
    image = Image.new("RGB", size, color)
    image.save(out, format=fmt, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that *claims* ``width`` × ``height`` pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def live_deal(product, *, percent_off: int = 20, starts_at=None, ends_at=None, slug: str = "live") -> Deal:
    now = timezone.now()
    sale = SaleEvent.objects.create(
        name=f"Sale {slug}",
        slug=slug,
        starts_at=starts_at or now - timedelta(hours=1),
        ends_at=ends_at or now + timedelta(hours=1),
    )
    return Deal.objects.create(sale=sale, product=product, percent_off=percent_off, status=DealStatus.APPROVED)


def seed_categories() -> None:
    """(Re)create the seeded category tree. The data migration made it, but a transactional
    test elsewhere in the run (browser tests) flushes every table, data-migration rows included."""
    demo.seed_categories()
