"""Search that finds (issue 9): every word matches title, description, category names or shop name;
Chinese without spaces; relevance, filters and sort; ``q`` and its alias ``search``; the same on the
page and the API; close matches when nothing matches; documents kept up to date by the services;
query counts at two sizes."""

from decimal import Decimal

import pytest
from django.db import connection
from django.http import QueryDict
from django.urls import reverse

from core.cache import bump
from core.visibility import Visibility
from marketplace.caching import TAG_LISTS
from marketplace.cards import card_row_html, product_card_html
from marketplace.models import Category, ProductStatus
from marketplace.selectors import catalogue as selectors
from marketplace.selectors import search as search_selectors
from marketplace.services import catalogue as services
from tests.marketplace.catalogue_support import live_deal
from tests.marketplace.factories import ProductFactory, ProductImageFactory, ShopFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded_categories")]

PRODUCTS = "/api/v1/products/"


def category(slug: str) -> Category:
    return Category.objects.get(slug=slug)


def search(text: str, **filters) -> list[str]:
    return [p.title for p in selectors.product_filter(selectors.product_list_public(), search=text, **filters)]


def api_titles(api_client, **params) -> list[str]:
    response = api_client.get(PRODUCTS, params)
    assert response.status_code == 200, response.content
    return [p["title"] for p in response.json()["results"]]


@pytest.fixture
def catalogue():
    """The demo's shapes: Chinese-only titles, English in descriptions, bilingual categories."""
    pearls = ShopFactory(name="Meimei Pearls 美美珍珠", slug="meimei")
    tea = ShopFactory(name="Xiaoming Tea 小明茶园", slug="xiaoming")
    return {
        "necklace": ProductFactory(
            shop=pearls,
            title="淡水珍珠项链",
            description="7–8 mm freshwater pearls, 45 cm, silver clasp.",
            category=category("necklaces"),
            price=Decimal("299.00"),
        ),
        "earrings": ProductFactory(
            shop=pearls, title="Pearl stud earrings 珍珠耳钉", category=category("earrings"), price=Decimal("89.00")
        ),
        "pendant": ProductFactory(
            shop=tea, title="Silver pendant 银吊坠", description="A lotus.", category=category("necklaces")
        ),
        "longjing": ProductFactory(
            shop=tea,
            title="西湖龙井 West Lake Longjing",
            description="Spring green tea.",
            category=category("tea"),
            price=Decimal("168.00"),
        ),
        "puer": ProductFactory(
            shop=tea, title="云南普洱 Pu'er cake", category=category("tea"), price=Decimal("238.00")
        ),
        "teapot": ProductFactory(shop=tea, title="紫砂壶 Yixing pot", category=category("kitchen")),
    }


# --- terms ------------------------------------------------------------------------------------


def test_document_terms_split_latin_words_and_cjk_characters_and_pairs():
    terms = search_selectors.document_terms("ＰＥＡＲＬ necklace, 淡水珍珠")  # full-width letters too
    assert terms == "pearl necklace 淡 淡水 水 水珍 珍 珍珠 珠"
    assert search_selectors.document_terms("925银 Pu'er") == "925 银 pu er"


def test_query_terms_are_and_ed_prefixes_and_pairs_with_no_tsquery_syntax():
    words = search_selectors.query_words("  Pearl 珍珠项链 茶 & ! ':*  ")
    assert words == ["pearl", "珍珠项链", "茶"]  # punctuation-only words are dropped
    assert search_selectors.tsquery_text(words) == "pearl:* & 珍珠 & 珠项 & 项链 & 茶"
    assert search_selectors.tsquery_text(search_selectors.query_words("a|b (c)")) == "a:* & b:* & c:*"


# --- matching -----------------------------------------------------------------------------------


def test_every_word_must_match_title_description_category_or_shop(catalogue):
    # "pearl" is in the necklace's description, "necklace" only in its category's name
    assert search("pearl necklace") == ["淡水珍珠项链"]
    # the category 茶叶 ("Tea 茶叶") has products whose titles never say 茶叶
    assert sorted(search("茶叶")) == sorted(["西湖龙井 West Lake Longjing", "云南普洱 Pu'er cake"])
    # the shop's name: 美美珍珠 is Meimei Pearls
    assert sorted(search("meimei")) == sorted(["淡水珍珠项链", "Pearl stud earrings 珍珠耳钉"])
    assert search("xiaoming necklace") == ["Silver pendant 银吊坠"]
    assert search("pearl teapot") == []


def test_chinese_matches_without_spaces(catalogue):
    assert search("珍珠项链") == ["淡水珍珠项链"]
    assert sorted(search("珍珠")) == sorted(["淡水珍珠项链", "Pearl stud earrings 珍珠耳钉"])
    assert search("龙井") == ["西湖龙井 West Lake Longjing"]
    assert search("普") == ["云南普洱 Pu'er cake"]  # a single character
    assert search("珍珠茶") == []  # 珍珠 and 茶 occur, but not as 珍珠茶


def test_english_is_case_insensitive_and_matches_stems_and_prefixes(postgres, catalogue):
    assert sorted(search("NECKLACES")) == sorted(["淡水珍珠项链", "Silver pendant 银吊坠"])
    assert search("pearls earring") == ["Pearl stud earrings 珍珠耳钉"]
    assert search("longj") == ["西湖龙井 West Lake Longjing"]
    assert search("pu'er") == ["云南普洱 Pu'er cake"]


def test_only_public_products_are_found(catalogue):
    hidden_shop = ShopFactory(name="Hidden pearls", visibility=Visibility.HIDDEN)
    ProductFactory(shop=hidden_shop, title="Pearl necklace in a hidden shop", category=category("necklaces"))
    ProductFactory(title="Draft pearl necklace", status=ProductStatus.DRAFT, category=category("necklaces"))

    assert search("pearl necklace") == ["淡水珍珠项链"]


def test_relevance_ranks_title_then_category_and_shop_then_description():
    ProductFactory(title="Vase", description="like a pearl", category=category("kitchen"), sales_count=500)
    ProductFactory(title="Pearl vase", category=category("kitchen"), sales_count=1)
    ProductFactory(title="Vase", shop=ShopFactory(name="Pearl house"), category=category("kitchen"), sales_count=90)

    found = selectors.product_filter(selectors.product_list_public(), search="pearl")
    assert [(p.title, p.sales_count) for p in found] == [("Pearl vase", 1), ("Vase", 90), ("Vase", 500)]


def test_filters_and_sorts_apply_to_search_results(catalogue):
    live_deal(catalogue["puer"], percent_off=50)  # 119.00 now

    assert search("茶叶", ordering="price") == ["云南普洱 Pu'er cake", "西湖龙井 West Lake Longjing"]
    assert search("茶叶", on_sale=True) == ["云南普洱 Pu'er cake"]
    assert search("茶叶", min_price=Decimal("150")) == ["西湖龙井 West Lake Longjing"]
    assert search("珍珠", max_price=Decimal("100")) == ["Pearl stud earrings 珍珠耳钉"]
    assert search("珍珠", category=category("jewellery"), ordering="-price") == [
        "淡水珍珠项链",
        "Pearl stud earrings 珍珠耳钉",
    ]


# --- kept up to date by the services -------------------------------------------------------------


def test_documents_follow_product_shop_and_category_edits(catalogue):
    services.product_update(product=catalogue["teapot"], title="紫砂茶壶 Yixing teapot")
    assert search("茶壶") == ["紫砂茶壶 Yixing teapot"]

    services.shop_update(shop=catalogue["teapot"].shop, name="Hangzhou Garden")
    assert len(search("hangzhou")) == 4 and search("xiaoming") == []

    kitchen = category("kitchen")
    kitchen.name = "Cookware 厨具"
    services.category_save(category=kitchen)
    assert search("厨具") == ["紫砂茶壶 Yixing teapot"]

    services.product_update(product=catalogue["teapot"], category=category("tea"))
    assert search("厨具") == [] and len(search("茶叶")) == 3


def test_new_products_are_found_at_once():
    shop = ShopFactory(name="New shop")
    services.product_create(
        shop=shop, category=category("tea"), title="白茶 White tea", price=Decimal("10"), status=ProductStatus.ACTIVE
    )

    assert search("白茶") == ["白茶 White tea"]


def test_prefixes_are_matched_as_the_lexemes_they_stand_for(postgres, catalogue, django_capture_on_commit_callbacks):
    # a search page matches each prefix as the lexemes of the vectors that start with it
    # (search.exact_terms): the same rows, order and count as to_tsquery's prefixes, stop words
    # and Chinese pairs too; the close matches' candidates the same
    from django.utils import timezone

    ProductFactory(shop=catalogue["pendant"].shop, title="Silky silk scarf", description="silver tea necklace")
    ProductFactory(title="Teapot and tea tray", description="the pearls")

    def pages(query: str):
        now = timezone.now()
        page = selectors.product_list_page(filters={"search": query}, number=1, per_page=24, now=now)
        expected = selectors.ProductPaginator(
            selectors.product_filter(selectors.product_list_public(now=now), search=query), 24
        ).get_page(1)
        return (page.paginator.count, list(page.object_list.ids)), (
            expected.paginator.count,
            [p.pk for p in expected.object_list],
        )

    queries = ("neck", "silk", "silk tea", "the tea", "the", "tea teapot", "珍珠 pearl", "silv ear", "zzz", "s")
    for query in (*queries, "pe 珍"):
        page, expected = pages(query)
        assert page == expected, query
        words = search_selectors.query_words(query)
        values = search_selectors.close_word_values(words)
        if values is None:
            continue
        texts = list(dict.fromkeys(search_selectors.title_word_terms_text(word) for word in words))
        prefixes = search_selectors.close_by_words(
            selectors.product_list_public_plain(),
            words=[search_selectors.SearchQueryOnce(text) for text in texts],
            pairs=search_selectors.SearchQueryOnce(search_selectors.title_pairs_terms_text(texts))
            if len(texts) > 1
            else None,
            best=search_selectors.ids_value(values["best"]),
        )
        exact = search_selectors.close_by_words_once(selectors.product_list_public_plain(), **values)
        assert list(exact.values_list("pk", flat=True)) == list(prefixes.values_list("pk", flat=True)), query
    assert search_selectors.exact_terms(["silk:*"]) == {"silk:*": "'silk' | 'silki'"}
    assert search_selectors.exact_terms(["zzz:*", "the:*"]) == {"zzz:*": "'zzz':*", "the:*": ""}
    # a write that adds a lexeme (a new word of a known prefix) is found on the next request
    with django_capture_on_commit_callbacks(execute=True):
        silkworm = services.product_create(
            shop=catalogue["pendant"].shop,
            category=category("tea"),
            title="Silkworm cocoon tea",
            price=Decimal("10"),
            status=ProductStatus.ACTIVE,
        )
    page, expected = pages("silk")
    assert page == expected and silkworm.pk in page[1] and page[0] == 2
    assert search_selectors.exact_terms(["silk:*"]) == {"silk:*": "'silk' | 'silki' | 'silkworm'"}


def test_postgres_serves_search_from_the_gin_index(postgres, catalogue):
    from marketplace.models import Product
    from marketplace.selectors.search import product_search

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show its options
        plan = product_search(Product.objects.all(), search="珍珠 necklace")[0].explain()
    assert "product_search_vector" in plan


# --- the page and the API ------------------------------------------------------------------------


def test_page_and_api_take_q_and_the_alias_search_with_the_same_results(client, api_client, catalogue):
    live_deal(catalogue["puer"], percent_off=50)
    params = {"ordering": "price", "on_sale": "true"}

    for name in ("q", "search"):
        assert api_titles(api_client, **{name: "茶叶"}, ordering="price") == [
            "云南普洱 Pu'er cake",  # 119.00 in the sale
            "西湖龙井 West Lake Longjing",
        ]
        html = client.get(reverse("marketplace:search"), {name: "pearl necklace"}).content.decode()
        assert "淡水珍珠项链" in html and "Pearl stud earrings" not in html
        assert 'value="pearl necklace"' in html  # the header's box shows the query
    assert api_titles(api_client, q="茶叶", **params) == ["云南普洱 Pu'er cake"]
    assert api_titles(api_client, q="珍珠", search="茶叶") == api_titles(api_client, q="珍珠")  # q wins
    html = client.get(reverse("marketplace:search"), {"q": "茶叶", **params}).content.decode()
    assert "云南普洱" in html and "西湖龙井" not in html


def test_every_page_has_the_search_box_in_its_header(client):
    for url in ("/", reverse("marketplace:products"), reverse("marketplace:sale_list"), reverse("login")):
        html = client.get(url).content.decode()
        header = html.split("</header>", 1)[0]
        assert f'action="{reverse("marketplace:search")}"' in header and 'name="q"' in header, url


def test_no_results_page_suggests_close_matches(client, catalogue):
    html = client.get(reverse("marketplace:search"), {"q": "pearl studd earings"}).content.decode()

    assert "No products match “pearl studd earings”" in html
    assert "Close matches" in html
    close = html.split("Close matches", 1)[1]
    assert "Pearl stud earrings 珍珠耳钉" in close
    assert "淡水珍珠项链" not in close


def test_close_matches_are_titles_with_most_of_the_words_before_titles_like_them(postgres, catalogue):
    both = ProductFactory(shop=catalogue["pendant"].shop, title="Pearl and silver brooch")
    suggest = search_selectors.product_suggestions

    # no product has all three words: titles with two of them, then with one; a word only in a
    # description (the necklace's "freshwater pearls, silver clasp") is not a close match
    found = [p.title for p in suggest(selectors.product_list_public(), search="pearl silver teapot")]
    assert found[0] == both.title
    assert sorted(found[1:]) == sorted(["Pearl stud earrings 珍珠耳钉", "Silver pendant 银吊坠"])
    assert [p.title for p in suggest(selectors.product_list_public(), search="龙井 coffee")] == [
        "西湖龙井 West Lake Longjing"
    ]
    # no title has any of the words (misspelt): titles like them, by trigram word similarity
    assert [p.title for p in suggest(selectors.product_list_public(), search="perl earings")][0] == (
        "Pearl stud earrings 珍珠耳钉"
    )


def test_no_results_without_anything_close_says_so(client, catalogue):
    html = client.get(reverse("marketplace:search"), {"q": "zzzzqqq"}).content.decode()

    assert "No products match “zzzzqqq”" in html and "Close matches" not in html


# --- query counts -----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 50])
def test_search_page_query_count(client, django_assert_num_queries, rows):
    shop = ShopFactory(name="Tea house")
    for i in range(rows):
        ProductImageFactory(product=ProductFactory(shop=shop, title=f"龙井 {i}", category=category("tea")))

    # what the words' terms stand for (PostgreSQL: once per term and process), the page's
    # products with their cards and the count (one query on PostgreSQL; SQLite loads the page's
    # products apart), category choices of the form, category tree, next sale boundary
    with django_assert_num_queries(5):
        response = client.get(reverse("marketplace:search"), {"q": "茶叶 龙井", "ordering": "relevance"})
    assert response.status_code == 200 and f"{rows} products" in response.content.decode()
    # another query finding the same products: its page with the cards; its terms, the sidebar
    # (with the filter form, the same for every search words) and the boundary are known
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        response = client.get(reverse("marketplace:search"), {"q": "龙井", "ordering": "relevance"})
    assert response.status_code == 200 and f"{rows} products" in response.content.decode()
    assert response.content.decode().count('class="product-card"') == min(rows, 24)


@pytest.mark.parametrize("rows", [5, 50])
@pytest.mark.parametrize(
    ("query", "queries"),
    [
        # the five of a results page, then the close matches: each title word's best sellers (one
        # query for the words this process does not know yet), then the titles with one of the
        # words ("longjing") with their cards: one query on PostgreSQL
        ("longjing coffee", (1, 1)),
        # no title has any of the words (the words' best sellers: none): then titles like them
        # (trigram) with their cards (SQLite, the default of a fresh clone: recent titles
        # compared in Python, then their cards)
        ("longjinn", (1, 1)),
    ],
)
def test_no_results_page_query_count(client, django_assert_num_queries, rows, query, queries):
    words, close = queries if connection.vendor == "postgresql" else (0, 2)  # the close matches' queries
    terms = 1 if connection.vendor == "postgresql" else 0  # what new terms stand for (search.exact_terms)
    shop = ShopFactory(name="Tea house")
    for i in range(rows):
        ProductImageFactory(product=ProductFactory(shop=shop, title=f"Longjing tea {i}", category=category("tea")))

    with django_assert_num_queries(4 + terms + words + close):
        response = client.get(reverse("marketplace:search"), {"q": query})
    html = response.content.decode()
    assert "No products match" in html and "Close matches" in html
    assert "Longjing tea " in html.split("Close matches", 1)[1]
    # another query of the same words, with the same close matches: the (empty) page, the close
    # matches with their cards; the words' best sellers, the sidebar and the boundary are known
    with django_assert_num_queries(1 + close):
        response = client.get(reverse("marketplace:search"), {"q": f"{query} {query.split()[0]}"})
    close_html = response.content.decode().split("Close matches", 1)[1]
    assert close_html.count('class="product-card"') == min(rows, 6) and "Longjing tea " in close_html
    # a new word: what its terms stand for and its best sellers are read (a query each on
    # PostgreSQL), the others' are known
    with django_assert_num_queries(1 + terms + words + close):
        response = client.get(reverse("marketplace:search"), {"q": f"{query} zzz"})
    assert "Longjing tea " in response.content.decode().split("Close matches", 1)[1]
    # a product write (its sales, say) bumps the lists' tag after its commit: every word's best
    # sellers (and what the terms stand for) are read again
    bump(TAG_LISTS)
    with django_assert_num_queries(1 + terms + words + close):
        response = client.get(reverse("marketplace:search"), {"q": f"{query} zzz {query.split()[0]}"})
    close_html = response.content.decode().split("Close matches", 1)[1]
    assert close_html.count('class="product-card"') == min(rows, 6) and "Longjing tea " in close_html


@pytest.mark.parametrize("rows", [5, 50])
def test_search_api_query_count(api_client, django_assert_num_queries, rows):
    shop = ShopFactory(name="Tea house")
    for i in range(rows):
        ProductImageFactory(product=ProductFactory(shop=shop, title=f"龙井 {i}", category=category("tea")))

    # count, page, images (prefetch), next sale boundary
    with django_assert_num_queries(4):
        titles = api_titles(api_client, q="茶叶 龙井", page_size=20)
    assert len(titles) == min(rows, 20)


@pytest.mark.parametrize("ordering", ["relevance", "price", "newest"])
def test_search_pages_are_the_ranked_list_cut_in_pages(ordering):
    # the page's ids and the count come from one query, the rows by id: the same rows in the same
    # order as the whole ranked list, whatever page is asked for (past the end: the last one)
    shop = ShopFactory(name="Hangzhou")
    for i in range(7):
        ProductFactory(shop=shop, title=f"Longjing {'tea ' * (i % 3)}{i}", sales_count=i % 2, price=Decimal(10 + i % 4))
    ranked = list(selectors.product_filter(selectors.product_list_public(), search="longjing tea", ordering=ordering))
    expected = [p.pk for p in ranked]

    def page(number):
        queryset = selectors.product_filter(selectors.product_list_public(), search="longjing tea", ordering=ordering)
        found = selectors.ProductPaginator(queryset, 3).get_page(number)
        assert found.paginator.count == len(expected)
        return found.number, [p.pk for p in found.object_list], found[0].effective_price

    assert len(expected) == 4
    assert page(1)[:2] == (1, expected[:3])
    assert page(2)[:2] == (2, expected[3:])
    assert page(9)[:2] == (2, expected[3:])
    assert page("x")[:2] == (1, expected[:3])
    assert page(1)[2] == ranked[0].effective_price
    empty = selectors.ProductPaginator(selectors.product_filter(selectors.product_list_public(), search="coffee"), 3)
    assert (empty.get_page(1).number, list(empty.get_page(1).object_list), empty.count) == (1, [], 0)


def test_a_cached_card_shows_a_price_stock_or_deal_change_on_the_next_search(
    client, catalogue, django_capture_on_commit_callbacks
):
    # search pages read their product cards with their rows (close matches too), and are cached
    # until a product write: the same query (a cached page) or a different one (a new page), with
    # results or with close matches, shows what changed on the next request
    earrings = catalogue["earrings"]
    url = reverse("marketplace:search")

    def card(query: str) -> str:
        html = client.get(url, {"q": query}).content.decode()
        if "coffee" in query:  # nothing found: the earrings are a close match
            html = html.split("Close matches", 1)[1]
        start = html.index(f'aria-labelledby="p{earrings.pk}-title"')
        return html[start : html.index("</article>", start)]

    assert "¥89.00" in card("pearl") and "¥89.00" in card("earrings coffee")
    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(product=earrings, price=Decimal("79.00"))
    assert "¥79.00" in card("珍珠") and "Sold out" not in card("耳钉")
    assert "¥79.00" in card("pearl") and "¥79.00" in card("earrings coffee")
    with django_capture_on_commit_callbacks(execute=True):
        services.product_update(product=earrings, stock=0)
    assert "Sold out" in card("pearl stud") and "Sold out" in card("earrings coffee")
    with django_capture_on_commit_callbacks(execute=True):
        live_deal(earrings, percent_off=50)
        services.catalogue_cache_bump_all()  # approving a deal bumps TAG_ALL too (services.sales)
    assert "¥39.50" in card("stud") and "¥39.50" in card("pearl stud") and "¥39.50" in card("earrings coffee")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_list_page_from_its_frame_is_the_page_rendered_in_full(rf, language):
    # a search page for a visitor without a session puts its title, results, search words and path
    # into a frame of base.html rendered once per process: byte for byte what rendering gives
    from django.contrib.auth.models import AnonymousUser
    from django.urls import resolve
    from django.utils import translation

    from marketplace.views import catalogue as views

    views._frames.clear()
    value = {"title": "Results for “<b>&\"'”", "html": "<section>results &amp; cards 珍珠</section>"}
    paths = [
        "/search/?q=pearl",
        "/search/?q=%3Cb%3E%22%26amp%3B%27",  # <b>"&amp;'
        "/search/?search=%E8%8C%B6%E5%8F%B6&page=2",  # the alias, 茶叶
        "/products/?q=silk&ordering=price",
        "/products/",
        "/search/",
    ]
    with translation.override(language):
        for path in paths * 2:  # the first of each kind builds the frame, the second reuses it
            request = rf.get(path)
            request.resolver_match = resolve(request.path)
            request.user = AnonymousUser()
            framed, personal = views._render_framed(request, value, "marketplace/page.html")
            full = views._render_shared(request, value, "marketplace/page.html")[0]
            assert framed == full and not personal, path
            # a list page's main part comes UTF-8 encoded (views._list_html): the same page
            encoded = {**value, "html": value["html"].encode()}
            assert views._render_framed(request, encoded, "marketplace/page.html") == (full, False), path
            assert views._render_shared(request, encoded, "marketplace/page.html")[0] == full, path
    assert len(views._frames) == 4  # search and products, with and without search words


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_list_main_part_from_its_frame_is_the_template_rendered(language):
    # a list's main part without a category and with one page (a distinct search's) comes from a
    # frame of the list template: byte for byte what rendering gives, for every kind of list —
    # found, nothing found with and without close matches, no search words, the count's plural
    # forms — with values that need escaping; a category or a second page is rendered
    from django.core.paginator import Paginator
    from django.template import Context, Template
    from django.template.loader import render_to_string
    from django.utils import translation
    from django.utils.safestring import mark_safe

    from marketplace.views import catalogue as views

    views._list_frames.clear()
    close = [(1, "Pearl <b>stud</b> & 'co' 100%"), (2, "珍珠 耳钉/银"), (3, 'a "b"'), (4, "not shown")]
    cases = [
        (5, "pearl <b>&\"'%s %(x)s", []),
        (1, "pearl", []),
        (24, "tea", []),
        (0, "zz <i>&", []),
        (0, "perl & stud", close),
        (0, "perl", close[:1]),
        (12, "", []),
        (0, "", []),
        (30, "tea", []),  # two pages: rendered
    ]
    with translation.override(language):
        for count, search, suggestions in cases * 2:  # the first of each kind makes its frame
            context = {
                "title": f"Results for “{search}” <&>",
                "category": None,
                "ancestors": [],
                "filters": mark_safe("<form>filters &amp; q</form>"),
                "category_nav": mark_safe("<nav>tree</nav>"),
                "page": Paginator(list(range(count)), 24).get_page(1),
                "links": QueryDict("q=tea&page=2", mutable=True),
                "search": search,
                "cards_html": mark_safe("<article>card &amp; 1</article>" * min(count, 24)),
                "suggestions": suggestions,
                "suggestion_links": views._suggestion_links(suggestions),
                "suggestion_cards_html": mark_safe("<article>close</article>" * len(suggestions)),
            }
            rendered = render_to_string(views.LIST_TEMPLATE, context).encode()
            assert views._list_html(context) == rendered, (count, search)
            # the sidebar's parts given encoded (views._sidebar) are put in as they are
            encoded = {"filters_utf8": b"<form>filters &amp; q</form>", "category_nav_utf8": b"<nav>tree</nav>"}
            assert views._list_html({**context, **encoded}) == rendered, (count, search)
    # five kinds of list; English "1 product" has a frame of its own (no mark number is singular)
    assert len(views._list_frames) == (6 if language == "en" else 5)

    # the links are those the template's loop made before it took them ready
    loop = Template(
        "{% for id, title in suggestions|slice:':3' %}<a href=\"{% url 'marketplace:search' %}?q="
        '{{ title|urlencode }}">{{ title }}</a>{% if not forloop.last %} · {% endif %}{% endfor %}'
    )
    assert views._suggestion_links(close) == loop.render(Context({"suggestions": close}))


def test_a_list_page_shell_from_its_frame_is_the_shell_rendered_in_full(rf):
    # signed-in visitors get list pages as a cached shell (core/pages.py): a distinct search's
    # shell comes from a frame too, the same bytes as rendering it (their account links are a marker)
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.urls import resolve

    from marketplace.views import catalogue as views
    from tests.community.factories import UserFactory

    views._frames.clear()
    value = {"title": "Results for “<i>silk</i>”", "html": "<section>cards</section>"}
    for user in (UserFactory(username="shopper-meimei"), UserFactory(username="shopper-lanlan")):
        for path in ("/search/?q=%3Ci%3Esilk", "/search/?q=tea&ordering=price", "/products/"):
            request = rf.get(path)
            request.resolver_match = resolve(request.path)
            request.user, request.session = user, {}
            request._messages = FallbackStorage(request)
            framed = views._render_framed(request, value, "marketplace/page.html", shell=True)[0]
            full = views._render_shared(request, value, "marketplace/page.html", shell=True)[0]
            assert framed == full and b"<!--jishi-account-->" in framed and user.username.encode() not in framed
    assert len(views._frames) == 2  # search with words, products without


@pytest.mark.parametrize("plan", ["auto", "force_generic_plan"])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"ordering": "price"},
        {"ordering": "-price", "min_price": Decimal("11")},
        {"in_stock": True, "on_sale": True},
        {"shop": "hangzhou", "max_price": Decimal("12.50"), "ordering": "best_selling"},
        {"category": "tea", "ordering": "newest"},
    ],
)
def test_a_search_page_from_sql_compiled_once_is_the_page_of_the_queryset(postgres, filters, plan):
    # a search page on PostgreSQL comes from SQL compiled once per shape (filters given, order,
    # page) and prepared, the words, shop and prices put in: the same rows, order, count and
    # prices as the queryset's page, past the end and for a bad page number too — also when
    # PostgreSQL plans the prepared statement once for all values (a generic plan)
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL plan_cache_mode = {plan}")

    hangzhou, other = ShopFactory(name="Hangzhou", slug="hangzhou"), ShopFactory(name="Other")
    for i in range(8):
        ProductFactory(
            shop=hangzhou if i % 3 else other,
            title=f"Longjing {'tea ' * (i % 3)}{i}",
            category=category("tea" if i % 2 else "kitchen"),
            sales_count=i % 4,
            price=Decimal(10 + i % 4),
            stock=i % 5,
        )
    live_deal(ProductFactory(shop=hangzhou, title="Longjing tea deal", price=Decimal("20.00")), percent_off=50)
    if "category" in filters:
        filters = {**filters, "category": category(filters["category"])}
    now = timezone.now()
    for number in (1, 2, 9, "x", None, 2):
        expected = selectors.ProductPaginator(
            selectors.product_filter(selectors.product_list_public(now=now), search="longjing", **filters), 3
        ).get_page(number)
        page = selectors.product_list_page(
            filters={"search": "longjing", **filters}, number=number, per_page=3, now=now
        )
        assert page.number == expected.number and page.paginator.count == expected.paginator.count
        assert [(p.pk, p.effective_price, p.sold_out) for p in page.object_list] == [
            (p.pk, p.effective_price, p.sold_out) for p in expected.object_list
        ]
        # the page's cards, read with its ids (past the end or a bad number: the queryset path),
        # are the cards of its products
        cards = getattr(page.object_list, "cards", None)
        assert cards is not None or number not in (1, None)
        if cards is not None:
            assert [card_row_html(card) for card in cards] == [product_card_html(p) for p in expected.object_list]
    assert expected.paginator.count > 0
    compiled = selectors._SEARCH_PAGES.values()
    assert compiled and all(query._compiled.get("default") is not None for query in compiled)  # none fell back


@pytest.mark.parametrize("rows", [5, 50])
def test_a_distinct_search_is_one_cache_round_trip(client, redis_url, monkeypatch, rows):
    # a new query misses the page cache: its entry, the next sale boundary and the sidebar are
    # read in one round trip (the cards come with the page's rows from PostgreSQL); the page is
    # not stored (most queries are asked once). Asked again, it is stored (a second round trip),
    # then served from the cache in one.
    from tests.redis_switch import RedisRoundTrips

    shop = ShopFactory(name="Tea house")
    for i in range(rows):
        ProductFactory(shop=shop, title=f"龙井 Longjing {i}", category=category("tea"))
    url = reverse("marketplace:search")
    assert client.get(url, {"q": "龙井"}).status_code == 200  # builds the sidebar and the boundary

    for query in ("longjing", "longjing coffee"):  # found; nothing found (close matches)
        pages = []
        for expected in (1, 2, 1):
            round_trips = RedisRoundTrips(monkeypatch)
            html = client.get(url, {"q": query}).content.decode()
            monkeypatch.undo()
            assert html.count('class="product-card"') == min(rows, 24 if query == "longjing" else 6), query
            assert round_trips.count == expected, query
            pages.append(html.split("csrfmiddlewaretoken", 1)[0])
        assert pages[0] == pages[1] == pages[2]


def test_title_terms_keep_exactly_the_products_with_a_word_at_weight_a(postgres, catalogue):
    # the close matches ask the title's terms (ts_filter of the vector's weight A, migration
    # 0017's index) for the words without weights: the same products as asking the whole vector
    # for the words at weight A — a word only in a description, a category or a shop name is not
    # in the title's terms; prefixes and Chinese pairs as in a search
    from django.contrib.postgres.search import SearchQuery

    ProductFactory(shop=catalogue["pendant"].shop, title="Pearl and silver brooch", description="tea teapot")
    ProductFactory(title="Plain box", description="pearl silver 珍珠")
    public = selectors.product_list_public_plain()

    def at_weight_a(terms: list[str]) -> str:
        return " & ".join(f"{term}A" if term.endswith(":*") else f"{term}:A" for term in terms)

    for query in ("pearl", "pearl silver teapot", "tea", "珍珠", "珍珠项链 pearls", "meimei", "necklace lotus", "xiao"):
        words = search_selectors.query_words(query)
        texts = [search_selectors.title_word_terms_text(word) for word in words]
        weighted = [at_weight_a(search_selectors._word_terms(word)) for word in words]
        # each word, and any two of them
        pairs = (
            [
                (
                    search_selectors.title_pairs_terms_text(texts),
                    " | ".join(f"({a} & {b})" for a in weighted for b in weighted if a < b),
                )
            ]
            if len(words) > 1
            else []
        )
        for text, by in [*zip(texts, weighted, strict=True), *pairs]:
            by_weight = set(
                public.filter(search_vector=SearchQuery(by, search_type="raw", config="english")).values_list(
                    "pk", flat=True
                )
            )
            by_terms = set(
                public.alias(terms=search_selectors.TitleTerms("search_vector"))
                .filter(terms=SearchQuery(text, search_type="raw", config="english"))
                .values_list("pk", flat=True)
            )
            assert by_terms == by_weight, (query, text)
    with connection.cursor() as cursor:  # the index that answers it
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT id FROM marketplace_product WHERE ts_filter(search_vector, '{a}') @@ to_tsquery('pearl:*')"
        )
        assert "product_title_terms" in "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("plan", ["auto", "force_generic_plan"])
def test_close_matches_are_most_words_then_best_selling_of_every_title_with_a_word(postgres, plan):
    # the close matches rank every public title with any of the query's words: most of the words
    # first, then best-selling, then newest — read from the titles with two of the words and the
    # six best sellers with one (each word's, kept per process): the same six as ranking them
    # all, whether the words are new to the process or not, in a generic plan too
    import random

    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL plan_cache_mode = {plan}")
    rng = random.Random(5)
    vocabulary = ["pearl", "silver", "teapot", "jade", "珍珠", "茶壶"]
    made = []
    for i in range(60):
        words = rng.sample(vocabulary, rng.choice([1, 1, 1, 2, 2, 3]))
        made.append(ProductFactory(title=" ".join([*words, f"item{i}"]), sales_count=rng.choice([0, 1, 2, 5, 9])))
    ProductFactory(title="pearl silver teapot hidden", sales_count=99, status=ProductStatus.DRAFT)
    made.append(ProductFactory(title="jade the rest in its description", description="pearl silver", sales_count=9))

    def expected(query: str, limit: int = 6) -> list[int]:
        words = set(query.split())
        ranked = sorted(made, key=lambda p: (-len(words & set(p.title.split())), -p.sales_count, -p.pk))
        return [p.pk for p in ranked if words & set(p.title.split())][:limit]

    rows, now = search_selectors.product_suggestion_rows, timezone.now()
    queries = ["pearl", "pearl silver", "silver teapot jade", "珍珠 teapot", "茶壶 jade pearl silver", "jade zzz"]
    for query in queries * 2:  # the words new to the process, then known
        assert [pk for pk, _ in rows(search=query)] == expected(query), query
        assert [card.id for card in selectors.product_suggestion_cards(search=query, now=now)] == expected(query)
        assert [pk for pk, _ in rows(search=query, limit=7)] == expected(query, limit=7)
    # the words' best sellers were read by SQL compiled once per number of words (none fell back)
    compiled = search_selectors._BEST_SELLERS_READ.values()
    assert compiled and all(query._compiled.get("default") is not None for query in compiled)


@pytest.mark.parametrize("plan", ["auto", "force_generic_plan"])
def test_close_matches_from_prepared_sql_are_those_of_the_queryset(postgres, catalogue, plan):
    # the close matches' word step is compiled once per number of words and prepared; its terms
    # are made once per statement (an InitPlan), also in a generic plan: the same rows, in the
    # same order, as the queryset's (a limit other than six takes the queryset)
    ProductFactory(shop=catalogue["pendant"].shop, title="Pearl and silver brooch", sales_count=3)
    ProductFactory(shop=catalogue["pendant"].shop, title="Silver pearl ring", sales_count=3)
    ProductFactory(title="Pearl pearl", description="pearl silver", sales_count=0)
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL plan_cache_mode = {plan}")
    rows = search_selectors.product_suggestion_rows
    for query in ("pearl silver teapot", "silver coffee", "龙井 pearl", "pearls earring zz") * 2:
        expected = rows(search=query, limit=search_selectors.SUGGESTION_LIMIT + 1)[: search_selectors.SUGGESTION_LIMIT]
        assert rows(search=query) == expected and expected, query
    compiled = search_selectors._CLOSE_BY_WORDS.values()
    assert compiled and all(query._compiled.get("default") is not None for query in compiled)  # none fell back
    # the search page reads the close matches with their cards, in one query per step: the same
    # products in the same order, and the cards of those products (priced now)
    from django.utils import timezone

    now = timezone.now()
    live_deal(catalogue["earrings"], percent_off=50)
    public = {p.pk: p for p in selectors.product_list_public(now=now)}
    for query in ("pearl silver teapot", "silver coffee", "龙井 pearl", "pearls earring zz", "perl earings"):
        close = selectors.product_suggestion_cards(search=query, now=now)
        assert [card.id for card in close] == [pk for pk, _ in rows(search=query)] and close, query
        assert [card_row_html(card) for card in close] == [product_card_html(public[card.id]) for card in close]
    compiled = selectors._CLOSE_CARDS.values()
    assert compiled and all(query._compiled.get("default") is not None for query in compiled)
    assert all(query._compiled.get("default") is not None for query in selectors._CLOSE_LIKE.values())
    with connection.cursor() as cursor:  # its parameters: each word's terms, any two, the best sellers
        cursor.execute(
            "EXPLAIN EXECUTE jishi_close_by_words_4_3 (%s, %s, %s, %s, %s)",
            ["pearl:*", "silver:*", "teapot:*", "(pearl:* & silver:*)", [1, 2]],
        )
        plan_text = "\n".join(row[0] for row in cursor.fetchall())
    assert "InitPlan" in plan_text  # to_tsquery made once, not for every row ranked


def test_odd_queries_answer_a_page_with_or_without_close_matches(client, catalogue):
    # stop words only, a stop word beside a word (the title-pairs query then degenerates to the
    # word: more candidates, the same rule), repeated words, more words than are matched,
    # tsquery syntax, one Chinese character, a very long word: each a page, never an error
    url = reverse("marketplace:search")
    queries = ["the", "the of and", "the pearl coffee", "pearl pearl pearl zz", "a b c d e f g h", "pearl:*A | !silver"]
    for query in [*queries, "珍 咖啡", "'; select", "x" * 190, "pearl " * 40]:
        response = client.get(url, {"q": query})
        assert response.status_code == 200, query
    close = client.get(url, {"q": "the pearl coffee"}).content.decode().split("Close matches", 1)[1]
    assert "Pearl stud earrings" in close


def test_did_you_mean_links_are_those_format_html_makes():
    # the close matches' "did you mean" links are written out without format_html (per request):
    # the same HTML for titles with quotes, ampersands, angle brackets, slashes, spaces, Chinese
    from django.template.defaultfilters import urlencode
    from django.utils.html import format_html

    from marketplace.views.catalogue import _suggestion_links

    titles = ['Pearl "moon" & <b>star</b>', "a/b c?d=e#f", "龙井 tea 50% off", "it's", "plain"]
    url = reverse("marketplace:search")
    expected = " · ".join(format_html('<a href="{}?q={}">{}</a>', url, urlencode(t), t) for t in titles[:3])
    assert _suggestion_links(list(enumerate(titles))) == expected
    assert str(_suggestion_links([(1, titles[3])])) == str(
        format_html('<a href="{}?q={}">{}</a>', url, urlencode(titles[3]), titles[3])
    )
