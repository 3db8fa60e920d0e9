"""Image cleaning and display sizes: orientation fixed, metadata stripped, formats detected from
the bytes, limits enforced, sizes made once by the task."""

from io import BytesIO

import pytest
from PIL import Image

from core.errors import ApplicationError
from marketplace.models import ProductImage
from marketplace.services import images as image_services
from marketplace.tasks.catalogue import generate_product_image_sizes
from tests.marketplace.catalogue_support import image_bytes, png_header_only, upload
from tests.marketplace.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


def refused(data: bytes) -> ApplicationError:
    with pytest.raises(ApplicationError) as info:
        image_services.image_clean(upload=upload(data))
    return info.value


def test_exif_orientation_is_applied_and_metadata_stripped():
    # given a landscape JPEG whose EXIF says "rotate 90°" and carries a camera model
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x0110] = "Secret camera"
    data = image_bytes("JPEG", size=(80, 40), exif=exif)

    # when
    clean = image_services.image_clean(upload=upload(data, name="IMG_0001.JPG"))

    # then it is upright (portrait), with no EXIF left, under a name we chose
    with Image.open(BytesIO(clean.content.read())) as result:
        assert result.size == (40, 80)
        assert not result.getexif()
        assert "exif" not in result.info
    assert (clean.width, clean.height, clean.format) == (40, 80, "JPEG")
    assert clean.content.name.endswith(".jpg") and "IMG_0001" not in clean.content.name


def test_the_format_comes_from_the_bytes_not_the_name():
    clean = image_services.image_clean(upload=upload(image_bytes("PNG"), name="photo.jpg", content_type="image/jpeg"))

    assert clean.format == "PNG" and clean.content.name.endswith(".png")


@pytest.mark.parametrize("pixels", [64 * 64 + 1, 2 * 64 * 64 + 1], ids=["pillow warns", "pillow refuses"])
def test_too_many_pixels_are_refused_in_both_of_pillows_bands(settings, pixels):
    settings.IMAGE_MAX_PIXELS = 64 * 64
    side = int(pixels**0.5) + 1

    error = refused(image_bytes("PNG", size=(side, side)))

    assert error.status == 400 and error.code == "image_too_many_pixels"
    assert "at most 4,096 pixels are accepted" in error.message


def test_a_bomb_is_refused_before_its_pixels_are_decoded():
    error = refused(png_header_only(100_000, 100_000))

    assert error.code == "image_too_many_pixels"


@pytest.mark.parametrize("data", [b"", b"hello", image_bytes("PNG")[:40]], ids=["empty", "text", "truncated"])
def test_broken_files_are_refused(data):
    assert refused(data).code == "image_invalid"


def test_display_sizes_are_webp_fitted_and_made_once(media_root, django_capture_on_commit_callbacks):
    product = ProductFactory()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image = image_services.product_image_add(product=product, upload=upload(image_bytes("PNG", size=(2000, 1000))))
    assert not image.image_320  # until the task runs, pages show the original
    assert len(callbacks) == 2  # the sizes task and the cache bump

    made = generate_product_image_sizes.apply(args=[image.id]).get()
    again = generate_product_image_sizes.apply(args=[image.id]).get()

    image.refresh_from_db()
    assert (made, again) == (True, False)
    for field, size in ((image.image_320, (320, 160)), (image.image_960, (960, 480))):
        with Image.open(field.open("rb")) as result:
            assert (result.format, result.size) == ("WEBP", size)
    assert image.thumb_url == image.image_320.url and image.display_url == image.image_960.url


def test_small_images_are_not_upscaled(media_root):
    image = image_services.product_image_add(
        product=ProductFactory(), upload=upload(image_bytes("JPEG", size=(100, 50)))
    )

    image_services.product_image_generate_sizes(image_id=image.id)

    image.refresh_from_db()
    with Image.open(image.image_960.open("rb")) as result:
        assert result.size == (100, 50)


def test_a_product_holds_at_most_nine_images(media_root):
    product = ProductFactory()
    for _ in range(image_services.MAX_IMAGES_PER_PRODUCT):
        image_services.product_image_add(product=product, upload=upload(image_bytes()))

    with pytest.raises(ApplicationError, match="at most 9 images"):
        image_services.product_image_add(product=product, upload=upload(image_bytes()))
    assert list(ProductImage.objects.filter(product=product).values_list("position", flat=True)) == list(range(9))


def test_deleting_an_image_closes_the_gap(media_root):
    product = ProductFactory()
    first, second, third = (
        image_services.product_image_add(product=product, upload=upload(image_bytes())) for _ in range(3)
    )

    image_services.product_image_delete(image=second)

    assert list(ProductImage.objects.filter(product=product).values_list("id", "position")) == [
        (first.id, 0),
        (third.id, 1),
    ]


def test_the_task_for_a_deleted_image_does_nothing():
    assert generate_product_image_sizes.apply(args=[987654]).get() is False


def test_png_text_chunks_are_dropped():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Someone's home address")
    out = BytesIO()
    Image.new("RGBA", (8, 8)).save(out, format="PNG", pnginfo=info)

    clean = image_services.image_clean(upload=upload(out.getvalue(), name="a.png"))

    with Image.open(BytesIO(clean.content.read())) as result:
        assert "Author" not in result.info
