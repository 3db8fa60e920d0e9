"""Product cards from a per-process frame (marketplace/cards.py) are the card template rendered."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from marketplace import cards
from marketplace.models import ProductImage
from marketplace.selectors import catalogue as selectors
from tests.marketplace.catalogue_support import live_deal
from tests.marketplace.factories import ProductFactory, ProductImageFactory, ShopFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_card_from_its_frame_is_the_card_rendered(language):
    # given products of every kind a card shows differently: no cover, a cover, its 320 px size,
    # on sale, sold out, no / one / many sold; titles and a shop name that need escaping, or
    # that contain a frame's marks
    shop = ShopFactory(name='Tea & "Co" <b>')
    ProductFactory(shop=shop, title="龙井 <i>tea</i> & 'co'", sales_count=0, stock=5)
    ProductFactory(shop=shop, title="Pearl", sales_count=1, price=Decimal("9.90"))
    ProductFactory(shop=shop, title="Sold out pearl", sales_count=1234, stock=0)
    ProductFactory(shop=shop, title="__JISHI_CARD_SHOP__ 990017231 ¥770,017,231.01", sales_count=880013627)
    ProductImageFactory(product=ProductFactory(shop=shop, title="With a cover", sales_count=21))
    sized = ProductImageFactory(product=ProductFactory(shop=shop, title="With its 320 px size", sales_count=2))
    ProductImage.objects.filter(pk=sized.pk).update(image_320="products/320/a b&c.jpg")
    live_deal(ProductFactory(shop=shop, title="On sale", price=Decimal("1234567.89"), stock=0), percent_off=50)
    cards._frames.clear()

    # when their cards come from frames (each frame made once, then reused), then each is the
    # template's rendering byte for byte
    with translation.override(language):
        products = list(selectors.product_list_public())
        assert len(products) == 7
        for p in products * 2:
            assert cards.product_card_html(p) == render_to_string(cards.TEMPLATE, {"p": p}), p.title
        # and a card read as a row (search pages, close matches: no model instance) is the same
        # card, from its frame or rendered in full
        found = {p.pk: p for p in products}
        rows = [
            selectors.CardRow(*row)
            for row in selectors.product_list_public().values_list("pk", *selectors.CARD_COLUMNS)
        ]
        assert len(rows) == 7
        assert cards.card_rows_html(rows) == [cards.card_row_html(row) for row in rows]
        for row in rows:
            expected = render_to_string(cards.TEMPLATE, {"p": found[row.id]})
            assert cards.card_row_html(row) == expected, row.title
            assert render_to_string(cards.TEMPLATE, {"p": cards._product_of(row)}) == expected, row.title
    assert len(cards._frames) == 6  # "Pearl" and the title with marks share one


def test_a_shop_pages_cards_are_html_not_escaped_text(client):
    # given a shop with a product (its page renders cards from loaded rows, not from the cache)
    shop = ShopFactory(name="Meimei Pearls")
    ProductFactory(shop=shop, title="Freshwater <pearl> necklace")

    # when a visitor opens the shop page
    html = client.get(shop.get_absolute_url()).content.decode()

    # then the card is markup (the title escaped inside it), not the card's source shown as text
    assert '<article class="product-card"' in html and "&lt;article" not in html
    assert "Freshwater &lt;pearl&gt; necklace</h3>" in html


def test_the_stand_in_image_of_a_product_without_a_cover_is_a_whole_image():
    """Chromium showed a broken-image icon on every card without a cover: the stand-in GIF was
    cut short. Every template's stand-in must decode."""
    import base64
    import io
    import re
    from pathlib import Path

    from PIL import Image

    templates = Path(__file__).resolve().parents[2] / "marketplace" / "templates" / "marketplace"
    html = "".join(path.read_text() for path in templates.glob("*.html"))
    found = re.findall(r"data:image/gif;base64,([A-Za-z0-9+/=]+)", html)
    assert found
    for data in set(found):
        with Image.open(io.BytesIO(base64.b64decode(data))) as image:
            image.load()
            assert image.size == (1, 1)
