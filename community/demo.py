"""Demo people for ``seed_demo``."""

from community.models import User

DEMO_LOGINS = [
    ("moderator", "staff: Django admin at /admin/"),
    ("meimei", "seller: runs a jewellery shop"),
    ("xiaoming", "seller: runs a tea and produce shop"),
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
                "is_staff": username == "moderator",
                "is_superuser": username == "moderator",
            },
        )
        if created:
            user.set_password(ctx["password"])
            user.save(update_fields=["password"])
        users[username] = user
    ctx["users"] = users


STEPS = [("people", seed_people)]
