"""Headline pages (thin: parse, call one service or selector, render)."""

import hashlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from rest_framework.request import Request

from core.errors import ApplicationError
from headline.api_pagination import StoryCursorPagination
from headline.forms import CommentForm, StoryForm
from headline.selectors import feeds as feed_selectors
from headline.selectors import stories as selectors
from headline.services import engagement, stories

PAGE_SIZE = 20


def viewer_key(request) -> str:
    """Who is looking, for "once per viewer per day": the user, else the session, else a hash
    of address and browser (never stored)."""
    if request.user.is_authenticated:
        return f"u{request.user.pk}"
    if request.session.session_key:
        return f"s{request.session.session_key}"
    raw = f"{request.META.get('REMOTE_ADDR', '')}|{request.META.get('HTTP_USER_AGENT', '')}"
    return "a" + hashlib.sha1(raw.encode()).hexdigest()[:20]


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


# --- reading ---------------------------------------------------------------------------------


def story_detail(request, pk: int):
    """A story: body, pictures, shoppable cards, likes, comments and a share link. The view is
    counted once per viewer per day."""
    story = selectors.story_get_public(story_id=pk, viewer=request.user)
    engagement.story_view_record(story=story, viewer=viewer_key(request))
    context = {
        "story": story,
        "comments": selectors.comment_list_for_story(story=story),
        "form": CommentForm(),
        "share_url": request.build_absolute_uri(story.get_absolute_url()),
    }
    return render(request, "headline/story_detail.html", context)


def topic_list(request):
    """Today's and past topics, each with its number of stories."""
    return render(request, "headline/topic_list.html", {"page": _page(request, selectors.topic_list_public())})


def topic_detail(request, day: str):
    """A topic's stories, newest or most liked first (``?order=liked``)."""
    date = parse_date(day)
    if date is None:
        raise Http404
    topic = selectors.topic_get_public(day=date)
    ordering = "liked" if request.GET.get("order") == "liked" else "newest"
    stories_page = _page(request, selectors.story_list_for_topic(topic=topic, ordering=ordering, viewer=request.user))
    context = {
        "topic": topic,
        "page": stories_page,
        "ordering": ordering,
        "is_today": topic.date == timezone.localdate(),
        "featured_products": selectors.topic_featured_products(topic=topic),
    }
    return render(request, "headline/topic_detail.html", context)


def feed(request, kind: str):
    """The three feeds: ``following`` (cursor-paged, signed in), ``for-you`` (precomputed,
    with reasons; trending for a cold start) and ``trending``."""
    if kind == "following":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        paginator = StoryCursorPagination()
        items = paginator.paginate_queryset(feed_selectors.story_feed_following(user=request.user), Request(request))
        context = {"stories": items, "next_url": paginator.get_next_link(), "prev_url": paginator.get_previous_link()}
    elif kind == "for-you":
        page = _page(request, feed_selectors.story_feed_for_you(user=request.user))
        context = {"stories": page, "page": page, "with_reasons": True}
    else:
        page = _page(request, feed_selectors.story_feed_trending(viewer=request.user))
        context = {"stories": page, "page": page}
    return render(request, "headline/feed.html", {**context, "kind": kind})


def story_go(request, pk: int, product_id: int | None = None, shop_id: int | None = None):
    """The counting redirect behind a story's cards: count the click (once per viewer, card
    and day; kept for attribution when signed in), then go to the product or shop."""
    story = selectors.story_get_public(story_id=pk)
    product_ids, shop_ids = selectors.story_mentions(story)
    if product_id is not None and product_id in product_ids:
        target = next(m.product for m in story.product_cards if m.product_id == product_id)
    elif shop_id is not None and shop_id in shop_ids:
        target = next(m.shop for m in story.shop_cards if m.shop_id == shop_id)
    else:
        raise Http404
    engagement.story_click(
        story=story, user=request.user, viewer=viewer_key(request), product_id=product_id, shop_id=shop_id
    )
    return redirect(target.get_absolute_url())


# --- writing ---------------------------------------------------------------------------------


def _mentions(form: StoryForm) -> tuple[list[int], list[int]] | None:
    slugs = form.cleaned_data["shops"]
    found = selectors.shop_ids_for_slugs(slugs)
    missing = [slug for slug in slugs if slug not in found]
    if missing:
        form.add_error("shops", _("No open shop at “%(slug)s”.") % {"slug": missing[0]})
        return None
    return form.cleaned_data["products"], [found[slug] for slug in slugs]


@login_required
def story_create(request):
    """Write a story (``?product=<id>`` / ``?topic=<id>`` pre-fill it); "Save draft" keeps it private."""
    initial = {"products": request.GET.get("product", ""), "topic": request.GET.get("topic")}
    form = StoryForm(
        request.POST or None, request.FILES or None, topics=selectors.topic_list_for_posting(), initial=initial
    )
    if request.method == "POST" and form.is_valid() and (mentions := _mentions(form)):
        try:
            story = stories.story_create(
                author=request.user,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                topic_id=form.cleaned_data["topic"],
                product_ids=mentions[0],
                shop_ids=mentions[1],
                images=form.cleaned_data["images"],
                publish="draft" not in request.POST,
            )
        except ApplicationError as err:
            form.add_error(None, err.message)
        else:
            if story.is_draft:
                messages.success(request, _("Your draft is saved."))
                return redirect("headline:story_edit", pk=story.pk)
            messages.success(request, _("Your story is posted."))
            return redirect(story)
    return render(request, "headline/story_form.html", {"form": form})


@login_required
def story_edit(request, pk: int):
    """Edit one's own story (or publish a draft)."""
    story = selectors.story_get_for_author(user=request.user, story_id=pk)
    initial = {
        "title": story.title,
        "body": story.body,
        "topic": story.topic_id,
        "products": " ".join(str(i) for i in story.product_mentions.values_list("product_id", flat=True)),
        "shops": " ".join(story.shop_mentions.values_list("shop__slug", flat=True)),
    }
    form = StoryForm(
        request.POST or None, topics=selectors.topic_list_for_posting(), initial=initial, with_images=False
    )
    if request.method == "POST" and form.is_valid() and (mentions := _mentions(form)):
        try:
            stories.story_update(
                story=story,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                topic_id=form.cleaned_data["topic"],
                product_ids=mentions[0],
                shop_ids=mentions[1],
            )
            if "publish" in request.POST:
                stories.story_publish(story=story)
        except ApplicationError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, _("Your story is updated."))
            return redirect(story) if not story.is_draft else redirect("headline:story_edit", pk=story.pk)
    return render(request, "headline/story_form.html", {"form": form, "story": story})


@login_required
@require_POST
def story_delete(request, pk: int):
    story = selectors.story_get_for_author(user=request.user, story_id=pk)
    stories.story_delete(story=story, by=request.user)
    messages.success(request, _("Your story is deleted."))
    return redirect(request.user.get_absolute_url())


@login_required
def story_drafts(request):
    return render(request, "headline/drafts.html", {"drafts": selectors.story_list_drafts(user=request.user)})


@login_required
@require_POST
def story_like(request, pk: int):
    """Like, or undo the like with ``action=unlike``; back to the story."""
    story = selectors.story_get_public(story_id=pk)
    try:
        if request.POST.get("action") == "unlike":
            engagement.story_unlike(user=request.user, story=story)
        else:
            engagement.story_like(user=request.user, story=story)
    except ApplicationError as err:  # a ban
        messages.error(request, err.message)
    return redirect(f"{story.get_absolute_url()}#like")


@require_POST
def comment_post(request, pk: int):
    story = selectors.story_get_public(story_id=pk)
    if not request.user.is_authenticated:
        return redirect_to_login(story.get_absolute_url())
    form = CommentForm(request.POST)
    if form.is_valid():
        parent_id = form.cleaned_data["parent"]
        parent = selectors.comment_get_public(story=story, comment_id=parent_id) if parent_id else None
        try:
            comment = engagement.comment_post(
                author=request.user, story=story, body=form.cleaned_data["body"], parent=parent
            )
        except ApplicationError as err:
            messages.error(request, err.message)
        else:
            return redirect(f"{story.get_absolute_url()}#comment-{comment.pk}")
    else:
        messages.error(request, _("Write something first (at most 2000 characters)."))
    return redirect(f"{story.get_absolute_url()}#comments")


@login_required
@require_POST
def comment_delete(request, pk: int):
    comment = selectors.comment_get_for_author(user=request.user, comment_id=pk)
    engagement.comment_delete(comment=comment, by=request.user)
    messages.success(request, _("Your comment is deleted."))
    return redirect(f"{comment.story.get_absolute_url()}#comments")
