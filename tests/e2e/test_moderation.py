"""The moderation journey in a real browser: a reader reports a story from its page → a
moderator (a "Moderators" group member, not a superuser) signs into admin, finds the story at the
top of the reports queue, hides it → the story is gone for the reader → the audit trail shows
the action. Screenshots go to $JISHI_SCREENSHOTS (a temporary folder when unset)."""

import os

import pytest
from playwright.sync_api import expect

from community.models import AuditEntry
from tests.community.factories import PASSWORD, QuestionFactory, UserFactory, make_moderator
from tests.e2e.conftest import login
from tests.headline.factories import StoryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _shot(page, name, tmp_path):
    folder = os.environ.get("JISHI_SCREENSHOTS") or str(tmp_path)
    os.makedirs(folder, exist_ok=True)
    page.screenshot(path=os.path.join(folder, f"moderation-{name}.png"), full_page=True)


def test_a_reported_story_is_hidden_from_the_queue_and_the_audit_trail_shows_it(browser, live_server, tmp_path):
    # given a story, a reader, a moderator, and an older item with one report already in the queue
    story = StoryFactory(title="Fake pearls at half price", body="Message me for fake pearls.")
    reader = UserFactory(username="reader")
    moderator = make_moderator(username="mod")
    other = QuestionFactory(text="An older question somebody reported")
    from community.services.moderation import report_create

    report_create(reporter=UserFactory(), kind_name="question", object_id=other.pk, reason="spam")
    report_create(reporter=UserFactory(), kind_name="story", object_id=story.pk, reason="fake")

    reader_page = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    login(reader_page, reader.username, PASSWORD)

    # when the reader reports the story from its page
    reader_page.goto(story.get_absolute_url())
    reader_page.get_by_role("link", name="Report").first.click()
    reader_page.get_by_label("Counterfeit").check()
    reader_page.get_by_label("Details (optional; required for “Other”)").fill("Sells fakes")
    _shot(reader_page, "report-form", tmp_path)
    reader_page.get_by_role("button", name="Send report").click()
    expect(reader_page.get_by_text("A moderator will look at your report.")).to_be_visible()

    # then the moderator finds it at the top of the queue (2 reports beat 1) and hides it
    mod_page = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}).new_page()
    mod_page.goto("/admin/login/?next=/admin/community/case/")
    mod_page.get_by_label("Username").fill("mod")
    mod_page.get_by_label("Password").fill(PASSWORD)
    mod_page.get_by_role("button", name="Log in").click()
    rows = mod_page.locator("#result_list tbody tr")
    expect(rows.first).to_contain_text("Fake pearls at half price")
    expect(rows.nth(1)).to_contain_text("An older question somebody reported")
    _shot(mod_page, "queue", tmp_path)
    rows.first.locator("input.action-select").check()
    mod_page.locator("select[name=action]").select_option("hide")
    mod_page.get_by_role("button", name="Go").click()
    expect(mod_page.get_by_text("1 hidden.")).to_be_visible()

    # and the story is gone for the reader
    gone = reader_page.goto(story.get_absolute_url())
    assert gone.status == 404

    # and the audit trail shows who hid it
    mod_page.goto("/admin/community/auditentry/")
    expect(mod_page.locator("#result_list")).to_contain_text("mod")
    _shot(mod_page, "audit", tmp_path)
    entry = AuditEntry.objects.get(action="hide")
    assert (entry.actor_name, entry.kind, entry.object_id, entry.after) == ("mod", "story", story.pk, "hidden")
    mod_page.goto("/admin/community/case/dashboard/")
    _shot(mod_page, "dashboard", tmp_path)
    assert moderator.is_superuser is False
