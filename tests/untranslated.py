"""Untranslated English on a page of the Chinese interface (issue 15 item 13): the Latin words of
the visible text of <main>, less the few the Chinese interface writes in Latin letters on purpose
(ID, PDF, CSV, Excel, QR, the product's name, API)."""
from __future__ import annotations

import re
from html.parser import HTMLParser

ALLOWED = frozenset({"ID", "PDF", "CSV", "EXCEL", "XLSX", "QR", "SAFETYNET", "API", "HTTPS", "URL", "GB", "PNG", "JPEG",
                     "JPG", "TXT", "KB", "MB", "GB"})
_WORD = re.compile(r"[A-Za-z]{2,}")
_FILE_NAME = re.compile(r"\S+\.(?:csv|xlsx|pdf|png|jpe?g|txt|zip)\b", re.IGNORECASE)   # data, not words
_HIDDEN = {"script", "style", "template", "noscript", "code"}   # <code>: data (checksums), not words


class _MainText(HTMLParser):
    """Collects the text inside <main>, skipping scripts, styles and hidden elements."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0          # inside <main>: its nesting depth
        self.skip = 0           # inside a hidden element: its nesting depth
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        hidden = tag in _HIDDEN or any(k == "hidden" or (k == "aria-hidden" and v == "true") for k, v in attrs)
        if self.depth:
            self.depth += 1
            if self.skip or hidden:
                self.skip += 1
        elif tag == "main":
            self.depth = 1

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.depth:
            return
        self.depth -= 1
        if self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if self.depth and not self.skip:
            self.parts.append(data)


def visible_main_text(html: str) -> str:
    parser = _MainText()
    parser.feed(html)
    return " ".join(parser.parts)


def english_words_in(html: str) -> list[str]:
    """The Latin words (2+ letters) of <main>'s visible text that are not in the allow-list, in
    the order met, each once."""
    seen: list[str] = []
    for word in _WORD.findall(_FILE_NAME.sub(" ", visible_main_text(html))):
        if word.upper() not in ALLOWED and word not in seen:
            seen.append(word)
    return seen
