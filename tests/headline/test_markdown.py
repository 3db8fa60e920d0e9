"""Story bodies: Markdown in, sanitised HTML out."""

from headline.markdown import render_markdown
from tests.headline.inert import HOSTILE_BODY, dangerous_parts


def test_hostile_markdown_renders_inert():
    # when a body with script, event handlers, javascript: links and raw HTML is rendered
    html = render_markdown(HOSTILE_BODY)
    # then nothing in it can run, and the harmless parts survive
    assert dangerous_parts(html) == []
    assert "<strong>friends</strong>" in html
    assert '<a href="https://example.com/a" rel="nofollow noopener noreferrer ugc">ok</a>' in html
    assert "&lt;script&gt;" in html  # shown as text, not run


def test_markdown_basics_and_headings_start_below_the_title():
    html = render_markdown("# Big\n\n- one\n- two\n\n> quoted\n\n`code`")
    assert "<h2>Big</h2>" in html and "<h1>" not in html
    assert "<li>one</li>" in html and "<blockquote>" in html and "<code>code</code>" in html


def test_empty_body_renders_empty():
    assert render_markdown("") == ""
