import factory

from community.models import User

PASSWORD = "a-Strong-pass-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("first_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class UserFollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.UserFollow"

    follower = factory.SubFactory(UserFactory)
    user = factory.SubFactory(UserFactory)


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "community.Notification"

    recipient = factory.SubFactory(UserFactory)
    kind = "other"
    title = factory.Sequence(lambda n: f"Notification {n}")
    body = "Something happened."
    url = "/"
