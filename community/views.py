"""Community pages (thin: validate, call a service or selector, render)."""

import re

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.i18n import set_language

from community import moderation as moderation_registry
from community.caching import CONTENT_TAG, feed_tag, user_tag
from community.forms import AnswerForm, InviteSettingsForm, QuestionForm, ReportForm, SignInForm, SignUpForm
from community.selectors import activity as activity_selectors
from community.selectors import notifications as notification_selectors
from community.selectors import people as people_selectors
from community.selectors import qa as qa_selectors
from community.services import activity as activity_services
from community.services import moderation as moderation_services
from community.services import notifications as notification_services
from community.services import people as people_services
from community.services import qa as qa_services
from core import pages
from core.cache import tag_versions
from core.errors import ApplicationError
from core.visibility import VISIBILITY_TAG
from marketplace.caching import TAG_ALL, TAG_LISTS
from marketplace.selectors.catalogue import product_get_public_brief

PAGE_SIZE = 20


def _page(request, queryset, size=PAGE_SIZE):
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def _back(request, fallback):
    """Redirect to ``next`` when it is a safe local URL, else to ``fallback``."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return redirect(target)
    return redirect(fallback)


class SignInView(LoginView):
    """The login page under the sign-in lockout: a locked account or address gets the form back
    with the reason, status 429 and ``Retry-After``."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.locked_for:
            response.status_code = 429
            response["Retry-After"] = str(form.locked_for)
        return response


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = people_services.user_create(
                username=data["username"],
                password=data["password1"],
                email=data["email"],
                display_name=data["display_name"],
                language=get_language(),
            )
        except ApplicationError as error:
            _add_errors(form, error, aliases={"password": "password2"})
        else:
            login(request, user, backend="community.backends.UserBackend")
            messages.success(request, _("Welcome to Jishi, %(name)s!") % {"name": user.public_name})
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form})


def _add_errors(form, error: ApplicationError, *, aliases: dict[str, str]) -> None:
    """Show a service's refusal on the form: each of its ``fields`` on the matching form field
    (``aliases`` maps service names to form names), the message on the form when none match."""
    placed = False
    for name, field_messages in error.extra.get("fields", {}).items():
        name = aliases.get(name, name)
        if name in form.fields:
            for message in field_messages:
                form.add_error(name, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)


# --- people ----------------------------------------------------------------------------------


def profile(request, username):
    person = people_selectors.user_get_profile(username=username, viewer=request.user)
    answers = qa_selectors.answer_list_by_author(author=person)[:10]
    context = {
        "person": person,
        "person_shop": people_selectors.user_public_shop(person),
        "roles": people_selectors.user_roles(person),
        "answers": answers,
    }
    return render(request, "community/profile.html", context)


def people_list(request, username, kind):
    """Who follows ``username`` (``kind="followers"``) or whom they follow (``"following"``)."""
    person = people_selectors.user_get_public(username=username)
    if kind == "followers":
        page = _page(request, people_selectors.follower_list(user=person))
        people = [link.follower for link in page]
    else:
        page = _page(request, people_selectors.following_list(user=person))
        people = [link.user for link in page]
    context = {"person": person, "page": page, "people": people, "kind": kind}
    return render(request, "community/people_list.html", context)


def _toggle_follow(request, *, follow, unfollow, name: str, fallback: str):
    """Follow, or unfollow when the form says ``action=unfollow``; then go back."""
    try:
        if request.POST.get("action") == "unfollow":
            unfollow()
            messages.success(request, _("You no longer follow %(name)s.") % {"name": name})
        else:
            follow()
            messages.success(request, _("You follow %(name)s.") % {"name": name})
    except ApplicationError as err:
        messages.error(request, err.message)
    return _back(request, fallback)


@login_required
@require_POST
def user_follow_toggle(request, username):
    person = people_selectors.user_get_public(username=username)
    return _toggle_follow(
        request,
        follow=lambda: people_services.user_follow(follower=request.user, user=person),
        unfollow=lambda: people_services.user_unfollow(follower=request.user, user=person),
        name=person.public_name,
        fallback=person.get_absolute_url(),
    )


@login_required
@require_POST
def shop_follow_toggle(request, slug):
    shop = people_selectors.shop_get_followable(slug=slug)
    return _toggle_follow(
        request,
        follow=lambda: people_services.shop_follow(user=request.user, shop=shop),
        unfollow=lambda: people_services.shop_unfollow(user=request.user, shop=shop),
        name=shop.name,
        fallback=shop.get_absolute_url(),
    )


# --- notifications ---------------------------------------------------------------------------


@login_required
def inbox(request):
    page = _page(request, notification_selectors.notification_list(user=request.user))
    return render(request, "community/inbox.html", {"page": page})


@login_required
def notification_open(request, pk):
    """Mark one notification read and go where it points (the inbox posts here; e-mails link
    here). Content hidden since it was sent leads back to the inbox with "no longer available",
    never to a 404."""
    notification = notification_selectors.notification_get_for_user(user=request.user, notification_id=pk)
    notification_services.notifications_mark_read(user=request.user, notification_ids=[notification.pk])
    if not notification_selectors.notification_is_shown(notification):
        messages.info(request, _("What this notification was about is no longer available."))
        return redirect("community:inbox")
    return redirect(notification.url or "community:inbox")


@login_required
@require_POST
def notifications_read_all(request):
    notification_services.notifications_mark_read(user=request.user)
    messages.success(request, _("All notifications marked as read."))
    return redirect("community:inbox")


@require_POST
def language_set(request):
    """The footer's language switcher: Django's ``set_language`` (cookie, redirect to ``next``),
    and for a signed-in person also the language their e-mails are written in."""
    response = set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        people_services.user_language_set(user=request.user, language=language)
    return response


# --- activity --------------------------------------------------------------------------------


@login_required
def my_activity(request):
    page = _page(request, activity_selectors.activity_list(user=request.user))
    interests = activity_selectors.interest_list(user=request.user)[:10]
    return render(request, "community/activity.html", {"page": page, "interests": interests})


@login_required
@require_POST
def my_activity_clear(request):
    deleted = activity_services.activity_clear(user=request.user)
    messages.success(
        request,
        ngettext(
            "Your activity history is cleared (%(count)d entry).",
            "Your activity history is cleared (%(count)d entries).",
            deleted,
        )
        % {"count": deleted},
    )
    return redirect("community:activity")


# --- questions and answers -------------------------------------------------------------------


def product_questions(request, product_id):
    """The product's Q&A section: questions with their answers (verified buyers first) and the
    form to ask."""
    product = product_get_public_brief(product_id=product_id)
    form = QuestionForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        if form.is_valid():
            try:
                question = qa_services.question_ask(
                    author=request.user, product=product, text=form.cleaned_data["text"]
                )
            except ApplicationError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("Your question is posted. We've asked people who bought this to answer."))
                return redirect(f"{request.path}#question-{question.pk}")
    page = _page(request, qa_selectors.question_list(product_id=product.pk, user=request.user))
    return render(request, "community/product_questions.html", {"product": product, "page": page, "form": form})


def question_detail(request, pk):
    question = qa_selectors.question_get_visible(question_id=pk, user=request.user)
    form = AnswerForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        if form.is_valid():
            try:
                answer = qa_services.answer_post(author=request.user, question=question, text=form.cleaned_data["text"])
            except ApplicationError as err:
                form.add_error(None, err.message)
            else:
                messages.success(request, _("Thanks for answering!"))
                return redirect(answer.get_absolute_url())
    return render(request, "community/question_detail.html", {"question": question, "form": form})


def _edit(request, *, content, form_class, edit, heading: str, updated: str):
    """The edit page of one's own question or answer; ``edit(text)`` calls the service."""
    form = form_class(request.POST or None, initial={"text": content.text})
    if request.method == "POST" and form.is_valid():
        try:
            edit(form.cleaned_data["text"])
        except ApplicationError as err:
            form.add_error(None, err.message)
        else:
            messages.success(request, updated)
            return redirect(content.get_absolute_url())
    return render(
        request, "community/edit.html", {"form": form, "heading": heading, "back": content.get_absolute_url()}
    )


@login_required
def question_edit(request, pk):
    question = qa_selectors.question_get_for_author(user=request.user, question_id=pk)
    return _edit(
        request,
        content=question,
        form_class=QuestionForm,
        edit=lambda text: qa_services.question_edit(user=request.user, question=question, text=text),
        heading=_("Edit your question"),
        updated=_("Your question is updated."),
    )


@login_required
@require_POST
def question_delete(request, pk):
    question = qa_selectors.question_get_for_author(user=request.user, question_id=pk)
    product_id = question.product_id
    qa_services.question_delete(user=request.user, question=question)
    messages.success(request, _("Your question is deleted."))
    return redirect("community:product_questions", product_id=product_id)


@login_required
def answer_edit(request, pk):
    answer = qa_selectors.answer_get_for_author(user=request.user, answer_id=pk)
    return _edit(
        request,
        content=answer,
        form_class=AnswerForm,
        edit=lambda text: qa_services.answer_edit(user=request.user, answer=answer, text=text),
        heading=_("Edit your answer"),
        updated=_("Your answer is updated."),
    )


@login_required
@require_POST
def answer_delete(request, pk):
    answer = qa_selectors.answer_get_for_author(user=request.user, answer_id=pk)
    qa_services.answer_delete(user=request.user, answer=answer)
    messages.success(request, _("Your answer is deleted."))
    return redirect(answer.question.get_absolute_url())


@login_required
@require_POST
def answer_vote(request, pk):
    answer = qa_selectors.answer_get_visible(answer_id=pk)
    try:
        if request.POST.get("value") == "0":
            qa_services.answer_unvote(user=request.user, answer=answer)
        else:
            qa_services.answer_vote(
                user=request.user, answer=answer, value=1 if request.POST.get("value") == "1" else -1
            )
    except ApplicationError as err:
        messages.error(request, err.message)
    return _back(request, answer.get_absolute_url())


@login_required
@require_POST
def answer_accept(request, pk):
    answer = qa_selectors.answer_get_visible(answer_id=pk)
    try:
        qa_services.answer_accept(user=request.user, answer=answer)
    except ApplicationError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Marked as the answer that helped you."))
    return _back(request, answer.get_absolute_url())


#: A page number the cached questions page is kept for (``?page=`` up to 3 digits; anything
#: else is rendered each time: the page's links carry the query string).
_CACHED_PAGE_NUMBER = re.compile(r"[0-9]{1,3}")


def _questions_page_tags(user_id: int) -> tuple[str, ...]:
    """What decides which questions a person's "for you" page shows, and how many there are:
    their feed entries and answers (:func:`~community.caching.feed_tag`), every visibility
    change and content change or delete, every product write (a product taken off sale, renamed)
    and catalogue-wide changes (shops, categories)."""
    return (feed_tag(user_id), VISIBILITY_TAG, CONTENT_TAG, TAG_LISTS, TAG_ALL)


def _questions_page_key(reader_id, number: str | None) -> str:
    return f"com:page:questions:{reader_id}:{get_language()}:{number or ''}"


def questions_home(request):
    """ "Ask others": the personalised feed for signed-in people, popular questions otherwise.

    A signed-in person's page of their precomputed feed is cached for them alone as a page shell
    (``core.pages``: their account links and CSRF token put in per request) under
    :func:`_questions_page_tags`, with the Q&A tag of each product shown (answers counted or
    accepted, questions edited) and each author's tag (their name), read before the rows they
    cover. A cold start (the popular feed) is rendered each time."""
    template = "community/questions_home.html"
    number = request.GET.get("page")
    cacheable = set(request.GET) <= {"page"} and (number is None or _CACHED_PAGE_NUMBER.fullmatch(number))
    if cacheable:  # the reader's session, then their page's shell with their user (one round trip
        # for a session this process has served)
        pages.visitor_shell_ahead(
            request, key=lambda reader_id: _questions_page_key(reader_id, number), tags=_questions_page_tags
        )
    if not request.user.is_authenticated:
        return render(request, template, {"page": _page(request, qa_selectors.question_feed_popular())})
    user = request.user

    def read():
        return qa_selectors.question_feed_page_for_you(user=user, number=number, size=PAGE_SIZE)

    def build():
        page = read()
        precomputed = getattr(page, "precomputed", False)
        extra = {}
        if precomputed:
            # The rows name the products and authors whose tags the page depends on too: their
            # tokens are read first, then the rows again (a change after that bumps them).
            shown = {(q.product_id, q.author_id) for q in page}
            tags = [qa_selectors.qa_product_tag(product_id) for product_id, _ in shown]
            extra = tag_versions([*tags, *(user_tag(author_id) for _, author_id in shown)])
            page = read()
            precomputed = getattr(page, "precomputed", False) and {(q.product_id, q.author_id) for q in page} <= shown
        content, personal = pages.render_shared(request, template, {"page": page, "shell": True})
        return content, None if precomputed and not personal else 0, extra

    if cacheable:
        key = _questions_page_key(user.pk, number)
        response = pages.serve_shell(request, key=key, tags=_questions_page_tags(user.pk), build=build)
        if response is not None:
            return response
    return render(request, template, {"page": read()})


@login_required
def questions_to_answer(request):
    form = InviteSettingsForm(
        request.POST or None, initial={"question_invites_opt_out": request.user.question_invites_opt_out}
    )
    if request.method == "POST" and form.is_valid():
        people_services.user_update_settings(
            user=request.user, question_invites_opt_out=form.cleaned_data["question_invites_opt_out"]
        )
        messages.success(request, _("Your invitation setting is saved."))
        return redirect("community:to_answer")
    page = _page(request, qa_selectors.invitation_list_open(user=request.user))
    return render(request, "community/to_answer.html", {"page": page, "form": form})


@login_required
def report(request, kind, object_id):
    """Report an item of any registered kind: a reason and (for "other") a few words. Back to
    ``next`` with a message; the same rules as ``POST /api/v1/reports/`` (the service)."""
    content_kind = moderation_registry.kind_named(kind)
    item = content_kind.public().filter(pk=object_id).first() if content_kind else None
    if item is None:
        raise Http404
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            moderation_services.report_create(
                reporter=request.user, kind_name=kind, object_id=object_id, **form.cleaned_data
            )
        except ApplicationError as error:
            form.add_error("text" if error.code == "invalid_reason" else None, error.message)
        else:
            messages.success(request, _("Thank you. A moderator will look at your report."))
            return redirect(next_url)
    context = {"form": form, "kind": content_kind, "preview": content_kind.preview(item), "next": next_url}
    return render(request, "community/report.html", context, status=400 if form.errors else 200)
