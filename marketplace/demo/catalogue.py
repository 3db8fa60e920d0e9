"""Demo catalogue: four shops, ~40 products across the seeded categories (Chinese and English
titles), stock, sales counts and product images drawn with Pillow and stored through the image
service (so the display sizes exist too). Idempotent: shops by owner, products by (shop, title),
images only for products that have none.
"""

import hashlib
import importlib
from decimal import Decimal
from io import BytesIO

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from marketplace.models import Category, Product, ProductStatus, Shop
from marketplace.services import images as image_services
from marketplace.services.search import product_search_refresh

# (owner username, shop name, slug, description, [(title, category slug, price, stock, sold, description)])
SHOPS = [
    (
        "meimei",
        "Meimei Pearls 美美珍珠",
        "meimei-pearls",
        "Freshwater and sea pearls from Zhuji, strung by hand. 诸暨珍珠，手工串制。",
        [
            (
                "淡水珍珠项链",
                "necklaces",
                "299.00",
                12,
                86,
                "7–8 mm freshwater pearls, 45 cm, silver clasp. 淡水珍珠，银扣。",
            ),
            ("Pearl stud earrings 珍珠耳钉", "earrings", "89.00", 40, 140, "Round white pearls on 925 silver posts."),
            ("Baroque pearl bracelet 巴洛克珍珠手链", "bracelets", "159.00", 8, 35, "Each baroque pearl is unique."),
            (
                "Silver pendant necklace 银吊坠项链",
                "necklaces",
                "129.00",
                15,
                22,
                "A small 925 silver lotus on a chain.",
            ),
            (
                "和田玉手镯 Hetian jade bangle",
                "bracelets",
                "599.00",
                3,
                9,
                "Nephrite jade bangle, 56 mm inner diameter.",
            ),
            (
                "Gold-plated hoop earrings",
                "earrings",
                "69.00",
                0,
                51,
                "Light hoops, 18k gold plated. Sold out for now.",
            ),
            ("海水珍珠吊坠 Akoya pearl pendant", "necklaces", "459.00", 5, 12, "An 8 mm Akoya sea pearl."),
            (
                "本命年红绳手链 Red string bracelet",
                "bracelets",
                "29.00",
                100,
                310,
                "A lucky red string with a gold bead.",
            ),
            ("Pearl hair clip 珍珠发夹", "jewellery", "39.00", 25, 44, "Pearls on a matte gold clip."),
            ("首饰盒 Jewellery box", "home-decor", "99.00", 10, 7, "A velvet-lined box for rings and earrings."),
        ],
    ),
    (
        "xiaoming",
        "Xiaoming Tea & Produce 小明茶园",
        "xiaoming-tea",
        "Tea from our family garden and fruit from neighbours' farms. 自家茶园，邻里果园。",
        [
            (
                "西湖龙井 West Lake Longjing green tea",
                "tea",
                "168.00",
                30,
                120,
                "250 g, picked before Qingming. 明前龙井。",
            ),
            ("云南普洱茶饼 Yunnan Pu'er tea cake", "tea", "238.00", 12, 40, "357 g ripe Pu'er cake, 2019."),
            ("安溪铁观音 Anxi Tieguanyin oolong", "tea", "128.00", 20, 75, "Fragrant oolong, vacuum packed."),
            ("大红袍 Da Hong Pao rock tea", "tea", "198.00", 9, 33, "Wuyi rock tea, charcoal roasted."),
            ("Osmanthus oolong tea bags 桂花乌龙", "tea", "49.00", 80, 210, "20 pyramid tea bags."),
            ("新疆红枣 Xinjiang red dates", "snacks", "59.00", 50, 95, "1 kg large dates from Hotan."),
            ("五香瓜子 Spiced sunflower seeds", "snacks", "19.90", 200, 400, "500 g, roasted with star anise."),
            ("赣南脐橙 Gannan navel oranges", "fresh-produce", "69.00", 40, 160, "5 kg box, picked to order."),
            ("烟台苹果 Yantai apples", "fresh-produce", "79.00", 0, 88, "5 kg Fuji apples. Back next week."),
            ("手工月饼礼盒 Handmade mooncake gift box", "snacks", "128.00", 15, 60, "Six mooncakes: lotus, red bean."),
            ("紫砂茶壶 Yixing clay teapot", "kitchen", "368.00", 4, 6, "200 ml zisha teapot, hand thrown."),
        ],
    ),
    (
        "lanlan",
        "Lanlan Home & Beauty 兰兰家居",
        "lanlan-home",
        "Things for a calm home and simple skincare. 安静的家，简单的护肤。",
        [
            (
                "青花瓷餐具套装 Blue-and-white porcelain set",
                "kitchen",
                "399.00",
                6,
                14,
                "Jingdezhen porcelain, 16 pieces.",
            ),
            ("Bamboo steamer 竹蒸笼", "kitchen", "59.00", 30, 70, "Two tiers and a lid, 26 cm."),
            ("真丝枕套 Mulberry silk pillowcase", "home-decor", "159.00", 20, 48, "22 momme mulberry silk."),
            ("Osmanthus scented candle 桂花香薰蜡烛", "home-decor", "49.00", 60, 130, "Soy wax, 40 hours."),
            ("剪纸窗花 Paper-cut window art", "home-decor", "25.00", 100, 220, "Set of 6 hand-cut red paper flowers."),
            ("玫瑰面霜 Rose face cream", "skincare", "139.00", 25, 66, "50 ml, with rose water from Pingyin."),
            ("Jade face roller 玉石滚轮", "skincare", "69.00", 35, 90, "Xiuyan jade, double ended."),
            ("国风口红 Chinese-style lipstick", "makeup", "99.00", 45, 150, "Carved case, shade 'palace red'."),
            ("Silk eye mask 真丝眼罩", "skincare", "45.00", 40, 55, "Blocks the light, soft on the skin."),
            (
                "Cotton linen tote bag 棉麻托特包",
                "womens-clothing",
                "79.00",
                30,
                38,
                "Roomy tote with an inner pocket.",
            ),
        ],
    ),
    (
        "dawei",
        "Dawei Digital & Style 大伟数码",
        "dawei-digital",
        "Gadgets that work and clothes with a story. 好用的数码，有故事的衣服。",
        [
            ("Bluetooth earbuds 蓝牙耳机", "audio", "199.00", 50, 180, "30 hours with the case, USB-C."),
            ("Portable speaker 便携音箱", "audio", "259.00", 18, 42, "Waterproof, 12 hours of music."),
            ("65W USB-C fast charger 快充充电器", "phone-accessories", "89.00", 70, 260, "GaN charger, two ports."),
            ("Magnetic phone stand 手机支架", "phone-accessories", "39.00", 90, 120, "Aluminium, folds flat."),
            ("Power bank 20000mAh 充电宝", "phone-accessories", "129.00", 0, 99, "Charges a phone four times."),
            ("刺绣旗袍 Embroidered silk qipao", "womens-clothing", "699.00", 5, 11, "Hand-embroidered peonies."),
            ("Men's linen shirt 男士亚麻衬衫", "mens-clothing", "189.00", 24, 37, "Breathable linen, mandarin collar."),
            ("唐装外套 Tang-style jacket", "mens-clothing", "329.00", 10, 15, "Frog buttons, padded for winter."),
            ("汉服连衣裙 Hanfu dress", "womens-clothing", "459.00", 7, 28, "Ming-style hanfu in sky blue."),
        ],
    ),
]

PALETTE = ["#b3261e", "#1b5e20", "#0d47a1", "#6a1b9a", "#e65100", "#00695c", "#4e342e", "#ad1457"]


def _seller(ctx, username: str):
    users = ctx.setdefault("users", {})
    if username not in users:
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"display_name": username.capitalize(), "email": f"{username}@example.com"}
        )
        if created:
            user.set_password(ctx.get("password") or None)
            user.save(update_fields=["password"])
        users[username] = user
    return users[username]


def draw_product_image(title: str, category_slug: str, *, size: int = 800, view: int = 0) -> bytes:
    """A simple, recognisable picture: a coloured background and a motif for the category
    (``view`` > 0: another photo of the same product, in another colour)."""
    seed = int(hashlib.sha1(f"{title}#{view}".encode() if view else title.encode()).hexdigest(), 16)
    colour = PALETTE[seed % len(PALETTE)]
    image = Image.new("RGB", (size, size), "#f4efe6")
    draw = ImageDraw.Draw(image)
    draw.rectangle([40, 40, size - 40, size - 40], outline=colour, width=12)
    c = size // 2
    if category_slug in ("necklaces", "bracelets", "earrings", "jewellery"):
        for i in range(13):  # a string of pearls
            x = 120 + i * 45
            y = c + int(((i - 6) ** 2) * 7) - 120
            draw.ellipse([x - 26, y - 26, x + 26, y + 26], fill="#fbfaf7", outline="#9e9e9e", width=3)
    elif category_slug in ("tea", "snacks", "fresh-produce", "kitchen"):
        draw.ellipse([c - 220, c - 140, c + 220, c + 200], fill=colour)  # a bowl
        draw.rectangle([c - 240, c - 150, c + 240, c - 60], fill="#f4efe6")
        draw.ellipse([c - 60, c - 260, c + 60, c - 140], fill="#7cb342")  # a leaf or fruit
    else:
        draw.rounded_rectangle([c - 200, c - 240, c + 200, c + 240], radius=40, fill=colour)
        draw.ellipse([c - 70, c - 70, c + 70, c + 70], fill="#f4efe6")
    for i in range(seed % 5 + 3):  # a little variety
        x, y = 90 + (seed >> (i * 3)) % (size - 180), 90 + (seed >> (i * 5)) % 120
        draw.ellipse([x - 10, y - 10, x + 10, y + 10], fill=colour)
    out = BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def seed_categories() -> dict[str, Category]:
    """The seeded category tree (made by a data migration; remade here if a test run or an
    admin removed it), by slug."""
    from django.apps import apps

    importlib.import_module("marketplace.migrations.0002_catalogue_seed_categories").forwards(apps, None)
    return {c.slug: c for c in Category.objects.all()}


def seed_catalogue(ctx):
    categories = seed_categories()
    shops, products = ctx.setdefault("shops", {}), ctx.setdefault("products", {})
    for username, name, slug, description, items in SHOPS:
        owner = _seller(ctx, username)
        shop, _ = Shop.objects.get_or_create(
            owner=owner, defaults={"name": name, "slug": slug, "description": description}
        )
        shops[slug] = shop
        for title, category_slug, price, stock, sold, text in items:
            product, _ = Product.objects.get_or_create(
                shop=shop,
                title=title,
                defaults={
                    "category": categories[category_slug],
                    "description": text,
                    "price": Decimal(price),
                    "stock": stock,
                    "sales_count": sold,
                    "status": ProductStatus.ACTIVE,
                },
            )
            products[title] = product
    product_search_refresh(product_ids=[p.pk for p in products.values()])


#: The first this many products of each shop get a gallery of photos; the others one photo.
GALLERY_PRODUCTS, GALLERY_PHOTOS = 2, 4


def seed_product_images(ctx):
    shops_seen: dict[int, int] = {}
    products = Product.objects.filter(pk__in=[p.pk for p in ctx["products"].values()], images__isnull=True)
    for product in products.select_related("category").order_by("id"):
        shops_seen[product.shop_id] = shops_seen.get(product.shop_id, 0) + 1
        views = GALLERY_PHOTOS if shops_seen[product.shop_id] <= GALLERY_PRODUCTS else 1
        for view in range(views):
            upload = SimpleUploadedFile(
                "photo.jpg",
                draw_product_image(product.title, product.category.slug, view=view),
                content_type="image/jpeg",
            )
            image = image_services.product_image_add(product=product, upload=upload)
            # Make the display sizes now so the demo looks finished without a worker; the task
            # queued on commit then finds them made and does nothing.
            image_services.product_image_generate_sizes(image_id=image.id)


STEPS = [("catalogue: shops and products", seed_catalogue), ("catalogue: product images", seed_product_images)]
