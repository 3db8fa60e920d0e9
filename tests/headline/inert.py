"""Checks that HTML is inert: no script, no event handler, no javascript: URL, no raw tag
from the author's text."""

from html.parser import HTMLParser

#: A story body that tries every trick the issue names.
HOSTILE_BODY = (
    "Hello **friends**\n\n"
    "<script>alert('x')</script>\n\n"
    '<img src="x" onerror="alert(1)">\n\n'
    "[click me](javascript:alert(1)) and [again](JAVASCRIPT:alert(2)) and [ok](https://example.com/a)\n\n"
    '<a href="javascript:alert(3)" onclick="alert(4)">raw link</a>\n\n'
    '<div style="position:fixed">raw html</div>\n\n'
    '<iframe src="https://evil.example"></iframe>'
)


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def dangerous_parts(html: str) -> list[str]:
    """What in ``html`` could run or load something: script/iframe/img/style/div elements the
    author wrote, ``on*`` attributes, and ``javascript:`` URLs."""
    parser = _Collector()
    parser.feed(html)
    found = []
    for tag, attrs in parser.tags:
        if tag in ("script", "iframe", "object", "embed", "style", "div", "img"):
            found.append(f"<{tag}>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{tag}[{name}]")
            if value and value.strip().lower().replace("\x00", "").startswith(("javascript:", "vbscript:", "data:")):
                found.append(f"{tag}[{name}={value}]")
    return found
