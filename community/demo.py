"""Demo people for ``seed_demo`` (``STEPS``), and, once the marketplace is seeded, their follows,
purchases, questions, answers and interests (``LATE_STEPS``)."""

from django.contrib.auth.models import Group
from django.utils import timezone

from community.models import Answer, Question, User
from community.services import qa
from community.services.activity import interest_profile_rebuild
from community.services.feeds import question_feed_rebuild
from community.services.people import shop_follow, user_follow
from marketplace.selectors.catalogue import product_list_public, shop_list_public
from marketplace.selectors.orders import order_line_list_purchased
from marketplace.services.checkout import order_place
from marketplace.services.orders import order_pay

DEMO_LOGINS = [
    ("moderator", "moderator (the Moderators group): the reports queue at /admin/community/case/"),
    ("meimei", "seller: Meimei Pearls 美美珍珠 (jewellery; hosts the Pearl Hour live show)"),
    ("xiaoming", "seller: Xiaoming Tea & Produce 小明茶园"),
    ("lanlan", "seller: Lanlan Home & Beauty 兰兰家居"),
    ("dawei", "seller: Dawei Digital & Style 大伟数码"),
    ("lili", "shopper and blogger"),
    ("wei", "shopper"),
]


def demo_data_exists() -> bool:
    return User.objects.filter(username="moderator").exists()


def seed_people(ctx):
    users = {}
    for username, role in DEMO_LOGINS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "display_name": username.capitalize(),
                "email": f"{username}@example.com",
                "bio": f"Demo account ({role}).",
                # The moderator signs into admin (is_staff) with exactly the "Moderators" group's
                # permissions: not a superuser.
                "is_staff": username == "moderator",
            },
        )
        if created:
            user.set_password(ctx["password"])
            user.save(update_fields=["password"])
            moderators = Group.objects.filter(name="Moderators").first()  # made by a data migration
            if username == "moderator" and moderators is not None:
                user.groups.add(moderators)
        users[username] = user
    ctx["users"] = users


STEPS = [("people", seed_people)]


# --- after the marketplace steps: follows, purchases, questions and answers ------------------

#: (follower, followed user)
USER_FOLLOWS = [("wei", "lili"), ("wei", "meimei"), ("lili", "meimei"), ("xiaoming", "lili")]
#: (user, shop slug)
SHOP_FOLLOWS = [("lili", "meimei-pearls"), ("wei", "meimei-pearls"), ("wei", "xiaoming-tea"), ("lili", "xiaoming-tea")]
#: (buyer, product title): paid through the marketplace services, so answers carry the badge.
PURCHASES = [
    ("lili", "淡水珍珠项链"),
    ("lili", "西湖龙井 West Lake Longjing green tea"),
    ("wei", "Pearl stud earrings 珍珠耳钉"),
    ("wei", "云南普洱茶饼 Yunnan Pu'er tea cake"),
]
#: (product title, asker, question, [(answerer, answer, helpful votes from)], accepted answerer)
QUESTIONS = [
    (
        "淡水珍珠项链",
        "wei",
        "Is the clasp sturdy enough to wear every day? 扣子结实吗？",
        [
            ("lili", "I've worn mine daily for two months; the silver clasp is still tight.", ["wei", "moderator"]),
            ("xiaoming", "My sister has one and likes it, but I haven't tried it myself.", []),
        ],
        "lili",
    ),
    (
        "淡水珍珠项链",
        "xiaoming",
        "How long is the necklace on a real person — does it sit at the collarbone?",
        [("lili", "It sits just below the collarbone on me (I'm 165 cm).", ["xiaoming"])],
        None,
    ),
    (
        "西湖龙井 West Lake Longjing green tea",
        "wei",
        "How many times can the leaves be steeped? 能泡几次？",
        [("lili", "Three good infusions at 80 °C; the fourth is light.", ["wei"])],
        None,
    ),
    (
        "云南普洱茶饼 Yunnan Pu'er tea cake",
        "lili",
        "Does this ripe Pu'er taste earthy or smooth? 熟普口感怎样？",
        [("wei", "Smooth and sweet, barely earthy after a quick rinse.", ["lili"])],
        None,
    ),
    ("Pearl stud earrings 珍珠耳钉", "lili", "Are the posts hypoallergenic? 耳针过敏吗？", [], None),
]


def _product(ctx, title):
    product = (ctx.get("products") or {}).get(title)
    return product or product_list_public().filter(title=title).first()


def seed_follows(ctx):
    users = ctx["users"]
    for follower, followed in USER_FOLLOWS:
        user_follow(follower=users[follower], user=users[followed])
    for username, slug in SHOP_FOLLOWS:
        shop = shop_list_public().filter(slug=slug).first()
        if shop is not None:
            shop_follow(user=users[username], shop=shop)


def seed_purchases(ctx):
    for username, title in PURCHASES:
        buyer, product = ctx["users"][username], _product(ctx, title)
        if (
            product is None
            or order_line_list_purchased(buyer_id=buyer.pk, product_id=product.pk).exists()
            or product.stock < 1
        ):
            continue
        for order in order_place(buyer=buyer, items=[(product.pk, 1)]):
            order_pay(order=order, buyer=buyer)


def seed_questions(ctx):
    users = ctx["users"]
    for title, asker, text, answers, accepted in QUESTIONS:
        product = _product(ctx, title)
        if product is None:
            continue
        question = Question.objects.filter(product=product, text=text).first()
        if question is None:
            question = qa.question_ask(author=users[asker], product=product, text=text)
        for answerer, answer_text, voters in answers:
            answer = Answer.objects.filter(question=question, author=users[answerer]).first()
            if answer is None:
                answer = qa.answer_post(author=users[answerer], question=question, text=answer_text)
            for voter in voters:
                qa.answer_vote(user=users[voter], answer=answer, value=1)
            if answerer == accepted:
                qa.answer_accept(user=users[asker], answer=answer)
        # Route now as well as on commit, so the demo shows invitations without a worker.
        qa.question_route_to_buyers(question_id=question.pk)


def seed_interests(ctx):
    now = timezone.now()
    for user in ctx["users"].values():
        interest_profile_rebuild(user_id=user.pk, now=now)
        question_feed_rebuild(user_id=user.pk, now=now)


#: Steps that need the marketplace's shops, products and orders: seed_demo runs them last.
LATE_STEPS = [
    ("community: follows", seed_follows),
    ("community: purchases by demo shoppers", seed_purchases),
    ("community: questions and answers", seed_questions),
    ("community: interest profiles and question feeds", seed_interests),
]
