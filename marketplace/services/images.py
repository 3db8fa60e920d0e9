"""Image uploads: validation with Pillow, cleaning, and display sizes.

Nothing about an upload is trusted: the size is checked before decoding, the format is detected
from the bytes (never the name or content type), the pixel count is checked before the pixels
are decoded (decompression bombs), EXIF orientation is applied and the image is re-encoded
without metadata under a name we generate.
"""

import uuid
import warnings
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Count, F, Max
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core import moderation
from core.cache import bump_on_commit
from core.errors import ApplicationError
from core.tasks import enqueue_on_commit
from core.visibility import Visibility
from marketplace.caching import TAG_LISTS, product_tag, shop_products_tag
from marketplace.errors import CatalogueErrorCode
from marketplace.models import Product, ProductImage

#: Formats accepted, with the extension we give the cleaned file.
FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
#: Display sizes (longest side, px), generated as WebP by a Celery task.
DISPLAY_SIZES = (320, 960)
MAX_IMAGES_PER_PRODUCT = 9


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile  # named "<random>.<ext>"
    format: str
    width: int
    height: int


def _refuse(message: str, code: CatalogueErrorCode) -> ApplicationError:
    return ApplicationError(message, status=400, code=code)


def _too_many_pixels(size: str = "") -> ApplicationError:
    return _refuse(
        (
            _("The image has too many pixels (%(size)s); at most %(limit)s pixels are accepted.")
            if size
            else _("The image has too many pixels; at most %(limit)s pixels are accepted.")
        )
        % {"size": size, "limit": f"{settings.IMAGE_MAX_PIXELS:,}"},
        CatalogueErrorCode.IMAGE_TOO_MANY_PIXELS,
    )


def image_clean(*, upload) -> CleanImage:
    """Validate an uploaded file and return it cleaned, or raise ApplicationError (400)."""
    size = getattr(upload, "size", None)
    if size is None or size > settings.IMAGE_MAX_UPLOAD_BYTES:
        limit_mb = settings.IMAGE_MAX_UPLOAD_BYTES / (1024 * 1024)
        raise _refuse(
            _("The file is too large: images may be at most %(size)s MB.") % {"size": f"{limit_mb:g}"},
            CatalogueErrorCode.IMAGE_TOO_LARGE,
        )
    if size == 0:
        raise _refuse("The file is empty.", CatalogueErrorCode.IMAGE_INVALID)
    # Pillow refuses (DecompressionBombError) past twice this and warns past it: the warning is
    # turned into an error, and the explicit check below is a second guard.
    Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            probe = Image.open(upload)
        with probe:
            width, height, fmt = probe.width, probe.height, probe.format
            if fmt not in FORMATS:
                raise _refuse("Only JPEG, PNG and WebP images are accepted.", CatalogueErrorCode.IMAGE_FORMAT)
            if width * height > settings.IMAGE_MAX_PIXELS:
                raise _too_many_pixels(f"{width}×{height}")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _too_many_pixels() from exc
    except ApplicationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _refuse(
            "The file is not a JPEG, PNG or WebP image, or it is damaged.", CatalogueErrorCode.IMAGE_INVALID
        ) from exc
    return CleanImage(
        content=ContentFile(_encode(image, fmt), name=f"{uuid.uuid4().hex}.{FORMATS[fmt]}"),
        format=fmt,
        width=image.width,
        height=image.height,
    )


def _encode(image: Image.Image, fmt: str) -> bytes:
    """Re-encode without EXIF/ICC/XMP (nothing is passed through but the pixels)."""
    if fmt == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    elif fmt in ("PNG", "WEBP") and image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA")
    image.info = {}  # PNG would otherwise carry text chunks and the ICC profile over
    out = BytesIO()
    options = {"JPEG": {"quality": 90, "optimize": True}, "PNG": {"optimize": True}, "WEBP": {"quality": 90}}
    image.save(out, format=fmt, **options[fmt])
    return out.getvalue()


def image_display_size(*, source, longest_side: int) -> bytes:
    """A WebP of ``source`` (a file of a cleaned image) fitting ``longest_side``; never upscaled."""
    source.seek(0)
    with Image.open(source) as image:
        image.load()
        image.thumbnail((longest_side, longest_side), Image.Resampling.LANCZOS)
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        out = BytesIO()
        image.save(out, format="WEBP", quality=80, method=4)
        return out.getvalue()


def _refuse_removed(visibility: str) -> None:
    if visibility == Visibility.REMOVED:
        raise ApplicationError(_("This product was removed."), status=409, code=CatalogueErrorCode.REMOVED)


@transaction.atomic
def product_image_add(*, product: Product, upload) -> ProductImage:
    """Attach a validated, cleaned image to ``product``; display sizes follow (Celery, on commit).
    A removed product takes no new images (409 ``removed``), from the page and the API alike;
    a banned seller adds none (403 ``banned``)."""
    from marketplace.tasks.catalogue import generate_product_image_sizes

    moderation.posting_allowed(product.shop.owner)
    _refuse_removed(product.visibility)  # before the work of cleaning the upload
    clean = image_clean(upload=upload)
    # Lock the product row so concurrent uploads count and position images consistently, and
    # read its status again: it may have been removed meanwhile.
    _refuse_removed(Product.objects.select_for_update().values_list("visibility", flat=True).get(pk=product.pk))
    existing = ProductImage.objects.filter(product=product).aggregate(n=Max("position"), count=Count("id"))
    if existing["count"] >= MAX_IMAGES_PER_PRODUCT:
        raise ApplicationError(
            _("A product can have at most %(count)s images.") % {"count": MAX_IMAGES_PER_PRODUCT},
            status=400,
            code=CatalogueErrorCode.TOO_MANY_IMAGES,
        )
    image = ProductImage(
        product=product,
        width=clean.width,
        height=clean.height,
        position=(existing["n"] + 1) if existing["n"] is not None else 0,
    )
    image.image.save(clean.content.name, clean.content, save=False)
    image.save()
    enqueue_on_commit(generate_product_image_sizes, image.id)
    bump_on_commit(TAG_LISTS, product_tag(product.id), shop_products_tag(product.shop_id))
    return image


@transaction.atomic
def product_image_delete(*, image: ProductImage) -> None:
    files = [f.name for f in (image.image, image.image_320, image.image_960) if f]
    product_id = image.product_id
    ProductImage.objects.filter(pk=image.pk).delete()
    ProductImage.objects.filter(product_id=product_id, position__gt=image.position).update(position=F("position") - 1)
    storage = image.image.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files])
    bump_on_commit(TAG_LISTS, product_tag(product_id), shop_products_tag(image.product.shop_id))


def product_image_generate_sizes(*, image_id: int) -> bool:
    """Create the 320 px and 960 px WebP display sizes of one image. Idempotent: returns False
    (and does nothing) when the image is gone or its sizes already exist."""
    image = ProductImage.objects.select_related("product").filter(pk=image_id).first()
    if image is None or (image.image_320 and image.image_960):
        return False
    stem = uuid.uuid4().hex
    with image.image.open("rb") as source:
        for side in DISPLAY_SIZES:
            data = image_display_size(source=source, longest_side=side)
            getattr(image, f"image_{side}").save(f"{stem}-{side}.webp", ContentFile(data), save=False)
    # Only fill fields still empty: a concurrent run of the same task cannot overwrite.
    updated = ProductImage.objects.filter(pk=image_id, image_320="").update(
        image_320=image.image_320.name, image_960=image.image_960.name
    )
    if not updated:
        for field in (image.image_320, image.image_960):
            field.storage.delete(field.name)
        return False
    bump_on_commit(TAG_LISTS, product_tag(image.product_id), shop_products_tag(image.product.shop_id))
    return True
