"""Catalogue pages: browsing and search for anyone, the product page (cached, no DB for repeat
anonymous visits), the shop page, the seller's dashboard and editing pages; query counts pinned
at 5 and 50 products."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from core.visibility import Visibility
from marketplace.models import Category, Order, OrderStatus, Product, ProductImage, ProductStatus
from marketplace.services import catalogue as services
from tests.community.factories import PASSWORD, UserFactory
from tests.marketplace.catalogue_support import image_bytes, live_deal, upload
from tests.marketplace.factories import ProductFactory, ProductImageFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]


def html_of(response) -> str:
    return response.content.decode()


@pytest.fixture
def seller(client):
    user = UserFactory(username="meimei")
    shop = ShopFactory(owner=user, name="Meimei Pearls", slug="meimei-pearls")
    client.login(username="meimei", password=PASSWORD)
    return shop


# --- browsing ----------------------------------------------------------------------------------


def test_anonymous_visitors_browse_only_public_products(client):
    # given products in every status and one in a hidden shop
    ProductFactory(title="Pearl necklace")
    ProductFactory(title="Draft thing", status=ProductStatus.DRAFT)
    ProductFactory(title="Hidden thing", visibility=Visibility.HIDDEN)
    ProductFactory(title="Removed thing", visibility=Visibility.REMOVED)
    ProductFactory(title="Shop hidden", shop=ShopFactory(visibility=Visibility.HIDDEN))

    # when
    response = client.get(reverse("marketplace:products"))

    # then
    html = html_of(response)
    assert response.status_code == 200
    assert "Pearl necklace" in html
    for hidden in ("Draft thing", "Hidden thing", "Removed thing", "Shop hidden"):
        assert hidden not in html


def test_search_finds_chinese_substrings_and_english_words(client):
    ProductFactory(title="淡水珍珠项链", description="Freshwater pearls")
    ProductFactory(title="Green tea", description="西湖龙井")
    ProductFactory(title="Speaker")

    chinese = html_of(client.get(reverse("marketplace:products"), {"search": "珍珠"}))
    english = html_of(client.get(reverse("marketplace:products"), {"search": "freshwater"}))
    in_description = html_of(client.get(reverse("marketplace:search"), {"search": "龙井"}))

    assert "淡水珍珠项链" in chinese and "Speaker" not in chinese and "Green tea" not in chinese
    assert "淡水珍珠项链" in english and "Green tea" not in english
    assert "Green tea" in in_description and "淡水珍珠项链" not in in_description


def test_category_page_includes_subcategories(client):
    jewellery = Category.objects.get(slug="jewellery")
    ProductFactory(title="In necklaces", category=Category.objects.get(slug="necklaces"))
    ProductFactory(title="In jewellery", category=jewellery)
    ProductFactory(title="In tea", category=Category.objects.get(slug="tea"))

    html = html_of(client.get(jewellery.get_absolute_url()))

    assert "In necklaces" in html and "In jewellery" in html
    assert "In tea" not in html
    assert 'aria-current="page">Jewellery' in html


def test_unknown_category_is_404(client):
    assert client.get(reverse("marketplace:category", kwargs={"slug": "nope"})).status_code == 404


def test_list_filters_on_the_effective_price_and_sorts(client):
    cheap = ProductFactory(title="Cheap", price=Decimal("10.00"))
    on_sale = ProductFactory(title="On sale", price=Decimal("200.00"))
    ProductFactory(title="Dear", price=Decimal("150.00"))
    live_deal(on_sale, percent_off=90)  # 20.00 now

    html = html_of(client.get(reverse("marketplace:products"), {"max_price": "50", "ordering": "-price"}))

    assert "Dear" not in html
    assert html.index("On sale") < html.index(cheap.title)
    assert "¥20.00" in html and "<del" in html


def test_invalid_filters_are_explained_not_fatal(client):
    ProductFactory(title="Pearl")

    response = client.get(reverse("marketplace:products"), {"min_price": "abc"})

    assert response.status_code == 200
    assert "Min price: Enter a number." in html_of(response)
    assert "Pearl" in html_of(response)


def test_the_sidebar_shows_the_search_words_and_a_bad_category_of_each_request(client):
    # the sidebar (filter form, category select) is cached once for everyone with a placeholder
    # for the search words; a bad category's error is shown for that request, not cached for
    # the next ones, and the words of each search are in their own page's form
    ProductFactory(title="Pearl earrings")
    url = reverse("marketplace:search")
    bad = html_of(client.get(url, {"q": "pearl", "category": "nope"}))
    assert "Select a valid choice" in bad and 'value="pearl"' in bad
    for words in ("earrings", "pearl earrings"):
        page = html_of(client.get(url, {"q": words}))
        assert "Select a valid choice" not in page and f'value="{words}"' in page and "Pearl earrings" in page
    other = html_of(client.get(reverse("marketplace:products"), {"category": "nope", "page": "1"}))
    assert "Select a valid choice" in other


def test_a_list_page_keeps_its_sidebar_in_the_process_until_the_categories_change(client, monkeypatch):
    # the sidebar's parts are kept in the process under the catalogue's tag (views._sidebar): a
    # page whose process holds them does not read their cache entry ahead; each page still shows
    # its own words; a category edit (TAG_ALL bumped) shows on the next page
    from core.cache import bump
    from marketplace.caching import TAG_ALL
    from marketplace.views import catalogue as views
    from tests.marketplace.factories import CategoryFactory

    ProductFactory(title="Pearl earrings")
    url = reverse("marketplace:search")
    read = []
    real = views.read_ahead
    monkeypatch.setattr(
        views, "read_ahead", lambda entries=None, **kw: read.append(list(entries or {})) or real(entries, **kw)
    )
    assert 'value="pearl"' in html_of(client.get(url, {"q": "pearl"}))
    page = html_of(client.get(url, {"q": "earrings <&>"}))
    assert 'value="earrings &lt;&amp;&gt;"' in page
    page = html_of(client.get(url, {"q": "earrings"}))
    assert 'value="earrings"' in page and "Pearl earrings" in page and "Lacquerware" not in page
    assert read and not any(key.startswith("cat:sidebar:") for key in read[-1])  # held: not read ahead
    CategoryFactory(name="Lacquerware", slug="lacquerware")
    bump(TAG_ALL)  # as a category edit does
    page = html_of(client.get(url, {"q": "pearl earrings"}))
    assert "Lacquerware" in page and 'value="pearl earrings"' in page


def test_filter_forms_share_their_fields_but_each_has_its_own_values_and_errors():
    # the filter form's fields are made once per process and shared by every form (not deep-copied
    # per request): nothing of one request's form may show in another's
    from django.http import QueryDict

    from marketplace.filters import ProductFilter
    from marketplace.models import Product
    from tests.marketplace.factories import CategoryFactory

    def form(query: str):
        validated = ProductFilter(QueryDict(query), queryset=Product.objects.none()).form
        validated.errors  # noqa: B018 - validates
        return validated

    bad = form("q=silk&min_price=abc&ordering=cheapest")
    assert set(bad.errors) == {"min_price", "ordering"}
    good = form("q=tea&min_price=5")
    assert good.fields["q"] is bad.fields["q"]  # shared
    assert not good.errors and good.cleaned_data["q"] == "tea" and good.cleaned_data["min_price"] == Decimal("5")
    html = str(good)
    assert 'value="tea"' in html and 'value="5"' in html and "silk" not in html and "Enter a number" not in html
    # the category choices are read per form: a category added since shows
    CategoryFactory(name="Lacquerware", slug="lacquerware")
    assert 'value="lacquerware"' in str(form("")["category"])
    assert form("category=lacquerware").cleaned_data["category"].slug == "lacquerware"


@pytest.mark.parametrize(
    "query",
    [
        "",
        "q=pearl",
        "search=tea&q=",
        "q=" + "x" * 101,
        "q=a%00b",
        "min_price=abc&max_price=-1&ordering=cheapest",
        "category=tea&shop=meimei&min_price=5.5&max_price=10&in_stock=true&on_sale=on&ordering=-price",
        "category=nope&in_stock=0&ordering=relevance&page=2",
    ],
)
def test_the_filter_form_cleans_as_django_forms_do(query):
    # the filter form cleans its fields without a bound field each (filters.ProductFilterForm):
    # the same cleaned data and errors as Django's own cleaning
    from django import forms
    from django.http import QueryDict

    from marketplace.filters import ProductFilter
    from marketplace.models import Product
    from tests.marketplace.factories import CategoryFactory

    CategoryFactory(name="Tea", slug="tea")

    def cleaned(clean_fields):
        form = ProductFilter(QueryDict(query), queryset=Product.objects.none()).form
        form.cleaned_data, form._errors = {}, forms.utils.ErrorDict()
        clean_fields(form)
        return form.cleaned_data, form.errors.get_json_data()

    assert cleaned(forms.Form._clean_fields) == cleaned(lambda form: form._clean_fields())


def test_a_parameter_is_read_as_querydict_get_reads_it():
    # filters.param reads a parameter without the exceptions QueryDict.get raises for an absent
    # one: the same value for absent, empty, repeated and given parameters, and from a plain dict
    from django.http import QueryDict

    from marketplace.filters import list_params, param

    query = QueryDict("q=pearl&q=silk+scarf&shop=&page=2&search=tea", mutable=True)
    query.setlist("empty", [])
    for name in ("q", "shop", "page", "search", "empty", "category", "min_price"):
        for default in (None, ""):
            assert param(query, name, default) == query.get(name, default), name
    assert param({"q": "tea"}, "q") == "tea" and param({}, "q", "") == ""
    assert list_params(query) == "page=2&q=silk+scarf"
    assert list_params(QueryDict("search=%E8%8C%B6&ordering=price&x=1")) == "ordering=price&q=%E8%8C%B6"


def test_pagination_keeps_filters(client):
    shop = ShopFactory()
    for i in range(30):
        ProductFactory(shop=shop, title=f"Tea {i}")

    html = html_of(client.get(reverse("marketplace:products"), {"search": "tea", "utm": "x"}))

    assert "Page 1 of 2" in html
    assert "?q=tea&amp;page=2" in html  # the alias ?search= is carried as ?q=


@pytest.mark.parametrize("rows", [5, 50])
def test_product_list_page_query_count(client, django_assert_num_queries, rows):
    shop = ShopFactory()
    for _ in range(rows):
        ProductImageFactory(product=ProductFactory(shop=shop))

    # count, page of products, category choices of the filter form, category tree, next sale boundary
    with django_assert_num_queries(5):
        response = client.get(reverse("marketplace:products"))
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_search_page_query_count(client, django_assert_num_queries, rows):
    shop = ShopFactory()
    for i in range(rows):
        ProductFactory(shop=shop, title=f"珍珠 {i}")

    # what the words' terms stand for (PostgreSQL: once per term and process), the page with
    # its cards and the count (PostgreSQL: one query; SQLite loads the page's products apart),
    # form choices, tree, boundary; the category of the filter form is validated only when given
    with django_assert_num_queries(5):
        response = client.get(reverse("marketplace:products"), {"search": "珍珠", "ordering": "price"})
    assert "珍珠 0" in html_of(response) or "珍珠 1" in html_of(response)


@pytest.mark.parametrize("rows", [5, 50])
def test_category_page_query_count(client, django_assert_num_queries, rows):
    necklaces, shop = Category.objects.get(slug="necklaces"), ShopFactory()
    for _ in range(rows):
        ProductFactory(shop=shop, category=necklaces)

    # category, its ancestors, filter's category check, count, page, form choices, tree, boundary
    with django_assert_num_queries(8):
        response = client.get(necklaces.get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("rows", [5, 50])
def test_shop_page_query_count(client, django_assert_num_queries, rows):
    shop = ShopFactory(slug="pearls")
    for _ in range(rows):
        ProductImageFactory(product=ProductFactory(shop=shop))

    # shop, count, page of products, filter form's category choices (not rendered: none), boundary;
    # headline's "stories about this shop" slot: one; the voucher box: the shop's vouchers, once
    # (then from the versioned cache)
    with django_assert_num_queries(6):
        response = client.get(shop.get_absolute_url())
    assert response.status_code == 200


def test_repeat_anonymous_visits_are_served_from_cache_without_queries(client):
    product = ProductFactory(title="Pearl necklace")
    client.get(product.get_absolute_url())
    client.get(reverse("marketplace:products"))

    with CaptureQueriesContext(connection) as queries:
        page = client.get(product.get_absolute_url())
        listing = client.get(reverse("marketplace:products"))

    assert len(queries) == 0
    assert "Pearl necklace" in html_of(page) and "Pearl necklace" in html_of(listing)
    assert "sessionid" not in page.cookies


def test_shop_page_shows_rating_followers_and_products(client):
    shop = ShopFactory(name="Tea garden", follower_count=12, rating_avg=Decimal("4.50"), rating_count=8)
    ProductFactory(shop=shop, title="Longjing")
    ProductFactory(title="Elsewhere")

    html = html_of(client.get(shop.get_absolute_url()))

    assert "Tea garden" in html and "Longjing" in html and "Elsewhere" not in html
    assert "<strong data-follower-count>12</strong> followers" in html
    assert "<strong>4.50</strong>/5 (8 reviews)" in html


def test_hidden_shop_page_is_404(client):
    assert client.get(ShopFactory(visibility=Visibility.HIDDEN).get_absolute_url()).status_code == 404


# --- product page ------------------------------------------------------------------------------


def test_product_page_shows_sale_price_stock_and_cart_form_with_a_real_csrf_token(client):
    product = ProductFactory(title="Pearl necklace", price=Decimal("200.00"), stock=3)
    live_deal(product, percent_off=25)

    response = client.get(product.get_absolute_url())

    html = html_of(response)
    assert "¥150.00" in html and "<del" in html and "¥200.00" in html
    assert "3 left" in html
    assert 'name="csrfmiddlewaretoken"' in html and "__JISHI_CSRF_TOKEN__" not in html
    assert f'name="next" value="{product.get_absolute_url()}"' in html


def test_cached_product_page_gives_each_visitor_their_own_csrf_token():
    product = ProductFactory()
    first, second = Client(), Client()

    pages = [c.get(product.get_absolute_url()) for c in (first, second)]

    tokens = [re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html_of(p)).group(1) for p in pages]
    assert tokens[0] != tokens[1]
    for page, token in zip(pages, tokens, strict=True):
        assert _unmask_cipher_token(token) == page.cookies["csrftoken"].value


def test_product_page_price_changes_at_the_sale_boundary_despite_the_cache(client):
    # given a cached product page and a sale that opens in a moment
    product = ProductFactory(price=Decimal("100.00"))
    opens = timezone.now() + timedelta(seconds=1.5)
    live_deal(product, percent_off=50, starts_at=opens, ends_at=opens + timedelta(hours=1), slug="soon")
    assert "¥100.00" in html_of(client.get(product.get_absolute_url()))

    # when the sale opens
    while timezone.now() < opens:
        pass

    # then the next view shows the sale price
    assert "¥50.00" in html_of(client.get(product.get_absolute_url()))


def test_product_page_follows_writes_through_services(client, django_capture_on_commit_callbacks):
    product = ProductFactory(title="Old title", stock=5)
    client.get(product.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(product=product, title="New title", stock=0)

    html = html_of(client.get(product.get_absolute_url()))
    assert "New title" in html and "Sold out" in html


def test_non_public_product_is_404_but_its_owner_gets_a_preview(client, seller):
    draft = ProductFactory(shop=seller, title="My draft", status=ProductStatus.DRAFT)

    own = client.get(draft.get_absolute_url())
    client.logout()
    anonymous = client.get(draft.get_absolute_url())

    assert own.status_code == 200 and "Preview: this product is draft" in html_of(own)
    assert anonymous.status_code == 404


def test_signed_in_views_are_recorded_once_per_few_minutes(client, seller):
    product = ProductFactory()

    client.get(product.get_absolute_url())
    client.get(product.get_absolute_url())

    assert product.views.filter(user=seller.owner).count() == 1


def test_product_page_shows_the_original_image_until_display_sizes_exist(client, media_root):
    image = ProductImageFactory()

    html = html_of(client.get(image.product.get_absolute_url()))

    assert image.image.url in html


# --- home and navigation -----------------------------------------------------------------------


def test_home_page_shows_newest_and_best_selling_products(client):
    ProductFactory(title="Newest pearl")
    ProductFactory(title="Bestseller", sales_count=500)

    html = html_of(client.get(reverse("home")))

    assert "Newest pearl" in html and "Bestseller" in html
    assert "Best-selling" in html
    assert f'href="{reverse("marketplace:products")}"' in html


# --- seller pages ------------------------------------------------------------------------------


def test_a_signed_in_user_opens_one_shop_through_the_page(client, user):
    client.login(username=user.username, password=PASSWORD)

    form = client.get(reverse("marketplace:seller_dashboard"))
    response = client.post(
        reverse("marketplace:shop_create"), {"name": "Tea garden", "slug": "tea-garden", "description": "Tea."}
    )
    again = client.get(reverse("marketplace:shop_create"))

    assert "Open a shop" in html_of(form)
    assert response.status_code == 302 and user.shop.slug == "tea-garden"
    assert again.status_code == 302


def test_shop_form_shows_a_taken_address(client, user):
    ShopFactory(slug="tea-garden")
    client.login(username=user.username, password=PASSWORD)

    response = client.post(reverse("marketplace:shop_create"), {"name": "Tea garden", "slug": "tea-garden"})

    assert response.status_code == 200
    assert "That shop address is taken" in html_of(response)


def test_seller_adds_edits_and_removes_a_product(client, seller):
    necklaces = Category.objects.get(slug="necklaces")
    created = client.post(
        reverse("marketplace:product_create"),
        {"title": "Pearl necklace", "category": necklaces.pk, "price": "199.00", "stock": "4", "status": "active"},
    )
    product = Product.objects.get(shop=seller)
    edited = client.post(
        reverse("marketplace:product_edit", kwargs={"pk": product.pk}),
        {"title": "Pearl necklace 45cm", "category": necklaces.pk, "price": "189.00", "stock": "4", "status": "active"},
    )
    removed = client.post(reverse("marketplace:product_remove", kwargs={"pk": product.pk}))

    product.refresh_from_db()
    assert created.status_code == edited.status_code == removed.status_code == 302
    assert (product.title, product.price, product.visibility) == ("Pearl necklace 45cm", Decimal("189.00"), "removed")


def test_another_user_cannot_edit_a_product(client, seller):
    other = ProductFactory()

    assert client.get(reverse("marketplace:product_edit", kwargs={"pk": other.pk})).status_code == 403
    assert client.post(reverse("marketplace:product_remove", kwargs={"pk": other.pk})).status_code == 403


def test_image_upload_page_refuses_non_images_with_the_reason(client, seller, media_root):
    product = ProductFactory(shop=seller)

    response = client.post(
        reverse("marketplace:product_image_upload", kwargs={"pk": product.pk}),
        {"image": upload(b"not an image at all", name="x.jpg")},
    )

    assert response.status_code == 400
    assert "not a JPEG, PNG or WebP image" in html_of(response)
    assert not ProductImage.objects.exists()


def test_image_upload_page_adds_the_image_and_its_display_sizes(
    client, seller, media_root, celery_eager, django_capture_on_commit_callbacks
):
    product = ProductFactory(shop=seller)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("marketplace:product_image_upload", kwargs={"pk": product.pk}),
            {"image": upload(image_bytes("PNG", size=(1200, 800)), name="../../evil.php", content_type="text/x-php")},
        )

    image = ProductImage.objects.get(product=product)
    assert response.status_code == 302
    assert image.image.name.endswith(".png") and "evil" not in image.image.name
    assert image.image_320 and image.image_960


def test_dashboard_lists_products_orders_and_a_revenue_chart(client, seller):
    product = ProductFactory(shop=seller, title="Pearl necklace")
    buyer = UserFactory(username="buyer")
    now = timezone.now()
    for days_ago, total, status in [(0, "120.00", OrderStatus.PAID), (3, "80.00", OrderStatus.COMPLETED)]:
        Order.objects.create(
            buyer=buyer,
            shop=seller,
            status=status,
            subtotal=Decimal(total),
            total=Decimal(total),
            paid_at=now - timedelta(days=days_ago),
        )
    Order.objects.create(buyer=buyer, shop=seller, subtotal=Decimal("999"), total=Decimal("999"))  # unpaid

    response = client.get(reverse("marketplace:seller_dashboard"))

    html = html_of(response)
    assert response.status_code == 200
    assert product.title in html
    assert "<svg" in html and html.count('<rect class="bar"') == 30
    assert "¥200.00 in the last 30 days" in html
    assert "buyer" in html.lower()


@pytest.mark.parametrize("rows", [5, 50])
def test_dashboard_query_count(client, seller, django_assert_num_queries, rows):
    buyer = UserFactory()
    for _ in range(rows):
        ProductFactory(shop=seller)
        Order.objects.create(buyer=buyer, shop=seller, subtotal=Decimal("1"), total=Decimal("1"))

    # user with the unread-notification badge (base.html; the session is cached), shop, revenue, products, orders, lines
    with django_assert_num_queries(6):
        client.get(reverse("marketplace:seller_dashboard"))


def _series(values):
    from datetime import date

    return [(date(2026, 11, 2) + timedelta(days=i), Decimal(v)) for i, v in enumerate(values)]


def test_bar_chart_scales_to_a_round_maximum_and_labels_weeks_back_from_today():
    from marketplace.charts import bar_chart

    # given 30 days with one sale of ¥388 on the last day
    series = _series(["0.00"] * 29 + ["388.00"])

    chart = bar_chart(series)

    # then the axis goes up in whole hundreds to 400, the tallest bar is 388/400 of the plot,
    # and a date is labelled every 7 days counted back from the last day, which is always labelled
    assert [t.value for t in chart["ticks"]] == [0, 100, 200, 300, 400]
    assert chart["bars"][-1].height == pytest.approx(100 * 388 / 400)
    assert all(b.height == 0 for b in chart["bars"][:-1])
    assert [label.day.day for label in chart["labels"]] == [3, 10, 17, 24, 1]
    assert chart["labels"][-1].day == series[-1][0] and chart["labels"][-1].align == "end"
    assert not chart["empty"] and len(chart["bars"]) == 30


@pytest.mark.parametrize(
    ("largest", "ticks"),
    [
        ("1.00", [0, 1]),
        ("0.50", [0, 1]),
        ("3.00", [0, 1, 2, 3]),
        ("7.90", [0, 2, 4, 6, 8]),
        ("88.00", [0, 25, 50, 75, 100]),
        ("12345.00", [0, 5000, 10000, 15000]),
    ],
)
def test_bar_chart_ticks_are_whole_and_distinct_for_small_amounts(largest, ticks):
    from marketplace.charts import bar_chart

    chart = bar_chart(_series(["0.00"] * 29 + [largest]))

    assert [t.value for t in chart["ticks"]] == ticks
    assert chart["ticks"][-1].bottom == 100 and chart["ticks"][0].bottom == 0


def test_an_empty_shop_gets_a_sentence_not_a_chart(client, seller):
    # given a shop with products but no paid order (an unpaid one does not count)
    ProductFactory(shop=seller)
    Order.objects.create(buyer=UserFactory(), shop=seller, subtotal=Decimal("50"), total=Decimal("50"))

    html = html_of(client.get(reverse("marketplace:seller_dashboard")))
    zh = html_of(client.get(reverse("marketplace:seller_dashboard"), HTTP_ACCEPT_LANGUAGE="zh-CN"))

    assert "No paid orders in the last 30 days yet." in html
    assert 'class="chart"' not in html and 'class="bar"' not in html
    assert 'class="chart"' not in zh and "No paid orders" not in zh and "最近 30 天还没有已付款的订单" in zh
