"""A synthetic catalogue for the search benchmark (bench/search.py): Chinese titles written
without spaces ("手工淡水珍珠项链"), English ones, and bilingual ones, over the seeded categories,
with query pools of each kind. Deterministic for a seed. No Django here, so the segmentation
comparison can use it without a database."""

import random

ADJECTIVES = [
    ("手工", "handmade"),
    ("天然", "natural"),
    ("复古", "vintage"),
    ("新鲜", "fresh"),
    ("有机", "organic"),
    ("精美", "fine"),
    ("传统", "classic"),
    ("限量", "limited"),
    ("家用", "home"),
    ("便携", "travel"),
]
PLACES = [
    ("西湖", "West Lake"),
    ("云南", "Yunnan"),
    ("安溪", "Anxi"),
    ("杭州", "Hangzhou"),
    ("苏州", "Suzhou"),
    ("景德镇", "Jingdezhen"),
    ("宜兴", "Yixing"),
    ("新疆", "Xinjiang"),
    ("福建", "Fujian"),
    ("诸暨", "Zhuji"),
]
#: (materials, items): an item is (Chinese, English, category slug).
GROUPS = [
    (
        [("淡水珍珠", "freshwater pearl"), ("银", "silver"), ("金", "gold"), ("翡翠", "jade"), ("水晶", "crystal")],
        [
            ("项链", "necklace", "necklaces"),
            ("耳钉", "stud earrings", "earrings"),
            ("手链", "bracelet", "bracelets"),
            ("吊坠", "pendant", "necklaces"),
        ],
    ),
    (
        [
            ("龙井", "Longjing"),
            ("普洱", "Pu'er"),
            ("铁观音", "Tieguanyin"),
            ("红茶", "black tea"),
            ("白茶", "white tea"),
        ],
        [
            ("茶叶", "tea leaves", "tea"),
            ("茶饼", "tea cake", "tea"),
            ("礼盒", "gift box", "tea"),
            ("茶包", "tea bags", "tea"),
        ],
    ),
    (
        [("紫砂", "zisha clay"), ("陶瓷", "porcelain"), ("竹", "bamboo"), ("铸铁", "cast iron")],
        [
            ("茶壶", "teapot", "kitchen"),
            ("茶杯", "tea cup", "kitchen"),
            ("蒸笼", "steamer", "kitchen"),
            ("花瓶", "vase", "home-decor"),
        ],
    ),
    (
        [("丝绸", "silk"), ("棉麻", "linen"), ("羊绒", "cashmere")],
        [
            ("围巾", "scarf", "womens-clothing"),
            ("旗袍", "qipao dress", "womens-clothing"),
            ("衬衫", "shirt", "mens-clothing"),
        ],
    ),
    (
        [("核桃", "walnuts"), ("红枣", "red dates"), ("蜂蜜", "honey"), ("枸杞", "goji berries")],
        [("礼盒", "gift box", "snacks"), ("零食", "snack pack", "snacks")],
    ),
]
PHRASES = [
    ("送礼佳品", "a good gift"),
    ("包邮", "free delivery"),
    ("产地直发", "shipped from the source"),
    ("品质保证", "quality guaranteed"),
    ("限时优惠", "a limited offer"),
]


def corpus(n: int, *, seed: int = 1) -> list[dict]:
    """``n`` products: ``title``, ``description``, ``category`` (a slug), ``price`` (str) and
    ``language`` (zh, en or both, a third each)."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        materials, items = rng.choice(GROUPS)
        (adj_zh, adj_en), (place_zh, place_en) = rng.choice(ADJECTIVES), rng.choice(PLACES)
        (mat_zh, mat_en), (item_zh, item_en, category) = rng.choice(materials), rng.choice(items)
        phrase_zh, phrase_en = rng.choice(PHRASES)
        zh = f"{place_zh}{adj_zh}{mat_zh}{item_zh}"
        en = f"{adj_en.capitalize()} {mat_en} {item_en} from {place_en}"
        language = ("zh", "en", "both")[i % 3]
        title = {"zh": zh, "en": en, "both": f"{zh} {en}"}[language]
        description = {
            "zh": f"{place_zh}{mat_zh}{item_zh}，{phrase_zh}。",
            "en": f"{mat_en.capitalize()} {item_en}, {phrase_en}.",
            "both": f"{place_zh}{mat_zh}{item_zh}，{phrase_zh}。 {mat_en.capitalize()} {item_en}.",
        }[language]
        rows.append(
            {
                "title": f"{title} #{i}",
                "description": description,
                "category": category,
                "price": f"{rng.randint(10, 999)}.00",
                "language": language,
            }
        )
    return rows


def queries(*, seed: int = 2) -> dict[str, list[str]]:
    """Query pools: Chinese (a word or a compound, no spaces), English (one word) and two words."""
    rng = random.Random(seed)
    words_zh = sorted(
        {w for w, _ in ADJECTIVES + PLACES}
        | {m for ms, _ in GROUPS for m, _ in ms}
        | {i for _, items in GROUPS for i, _, _ in items}
        | {"珍珠", "茶", "茶叶", "项链", "珍珠项链"}
    )
    compounds_zh = sorted({m + i for ms, items in GROUPS for m, _ in ms for i, _, _ in items})
    words_en = sorted(
        {w.split()[-1].lower() for _, w in ADJECTIVES + PLACES}
        | {w.lower() for ms, items in GROUPS for _, m in ms for w in m.split()}
        | {w.lower() for _, items in GROUPS for _, i, _ in items for w in i.split()}
        | {"pearl", "necklace", "tea", "silk"}
    )
    pairs = sorted(
        {f"{m.split()[-1].lower()} {i.split()[0]}" for ms, items in GROUPS for _, m in ms for _, i, _ in items}
    )
    pairs += ["pearl necklace", "green tea", "silk scarf", "gift box", "clay teapot"]
    pools = {"chinese": words_zh + compounds_zh, "english": words_en, "two words": pairs}
    for pool in pools.values():
        rng.shuffle(pool)
    return pools
