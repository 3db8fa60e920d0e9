"""Story bodies: Markdown rendered to HTML by markdown-it-py (CommonMark) and sanitised by nh3
(the Ammonia sanitiser), both pinned in requirements.txt.

Two layers, so that neither has to be perfect alone: markdown-it-py runs with raw HTML off
(``<b>`` in the text is shown as text) and refuses ``javascript:``/``vbscript:``/``data:`` link
targets; nh3 then keeps only the tags and attributes below, only http(s) and mailto URLs, and
drops every event handler and ``<script>``/``<style>`` with their content. Images inside the
body are not allowed (a story's pictures are uploaded, cleaned images, never hot-linked).
"""

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "strong",
    "em",
    "del",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("strikethrough")


def render_markdown(text: str) -> str:
    """Markdown ``text`` as safe HTML: CommonMark, raw HTML shown as text, links limited to
    http(s)/mailto with ``rel="nofollow noopener noreferrer ugc"``; headings become h2–h4."""
    html = _renderer.render(text or "")
    # A story's title is the page's h1: body headings start one level down.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        strip_comments=True,
    )
