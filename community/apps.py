from django.apps import AppConfig


class CommunityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "community"
    verbose_name = "Community"

    def ready(self):
        import community.receivers  # (importing it connects the domain-signal receivers)
        from community import slots

        community.receivers.connect_token_receivers()
        _install_page_hooks()
        slots.register()  # the product page's Q&A summary, the shop page's follow button
        _register_content_kinds()
        _install_moderation_hooks()


def _install_page_hooks() -> None:
    """Cached page shells (core/pages.py) get the header's account links from community."""
    from community.header import account_links
    from community.selectors.notifications import user_signed_in_entries
    from core import pages

    pages.install(account_links=account_links, user_entries=user_signed_in_entries)


def _install_moderation_hooks() -> None:
    """The marketplace and core call core.moderation (blocked terms, bans, the audit trail,
    held content); community implements it."""
    from community.services import moderation
    from core import moderation as hooks

    hooks.install(
        screen=moderation.screen,
        posting_refused=moderation.posting_refused,
        audit=moderation.audit_from_hook,
        held=moderation.held_from_hook,
    )


def _register_content_kinds() -> None:
    """Community's own kinds of content and the marketplace's (which cannot import community)
    in the moderation registry (community/moderation.py). Questions, answers and people are
    also notification subjects: the inbox shows a notification about one only while it is
    public (community.selectors.notifications)."""
    from django.apps import apps
    from django.utils.translation import pgettext_lazy

    from community import moderation
    from community.models import Answer, Question, User
    from community.selectors.people import user_list_public
    from community.selectors.qa import answer_list_public, question_list_public
    from community.services.people import user_set_visibility
    from community.services.qa import answer_set_visibility, question_set_visibility
    from marketplace.selectors.catalogue import product_list_public_plain, shop_list_public
    from marketplace.selectors.orders import review_list_public
    from marketplace.services.catalogue import product_set_visibility, shop_set_visibility
    from marketplace.services.reviews import review_set_visibility

    # Marketplace models by name: community uses the marketplace's selectors and services only.
    Shop, Product, Review = (apps.get_model("marketplace", name) for name in ("Shop", "Product", "Review"))
    moderation.register(
        name="shop",
        model=Shop,
        set_visibility=shop_set_visibility,
        public=shop_list_public,
        author_field="owner",
        preview=lambda shop: f"{shop.name}: {shop.description[:200]}",
        label=pgettext_lazy("content kind", "shop"),
        text_fields=("name", "description"),
    )
    moderation.register(
        name="product",
        model=Product,
        set_visibility=product_set_visibility,
        public=product_list_public_plain,
        author_field="shop__owner",
        preview=lambda product: f"{product.title}: {product.description[:200]}",
        label=pgettext_lazy("content kind", "product"),
        text_fields=("title", "description"),
    )
    moderation.register(
        name="review",
        model=Review,
        set_visibility=review_set_visibility,
        public=review_list_public,
        author_field="author",
        preview=lambda review: f"{review.rating}★ {review.text[:240]}",
        label=pgettext_lazy("content kind", "review"),
        text_fields=("text",),
    )
    moderation.register(
        name="question",
        model=Question,
        set_visibility=question_set_visibility,
        public=question_list_public,
        author_field="author",
        preview=lambda question: question.text[:240],
        label=pgettext_lazy("content kind", "question"),
        text_fields=("text",),
        notification_subject=True,
    )
    moderation.register(
        name="answer",
        model=Answer,
        set_visibility=answer_set_visibility,
        public=answer_list_public,
        author_field="author",
        preview=lambda answer: answer.text[:240],
        label=pgettext_lazy("content kind", "answer"),
        text_fields=("text",),
        notification_subject=True,
    )
    moderation.register(
        name="user",
        model=User,
        set_visibility=user_set_visibility,
        public=user_list_public,
        author_field="pk",
        preview=lambda person: f"{person.public_name}: {person.bio[:200]}",
        label=pgettext_lazy("content kind", "profile"),
        text_fields=("display_name", "bio"),
        notification_subject=True,
    )
