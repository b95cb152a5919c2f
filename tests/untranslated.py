"""Finds English left in a page of the Chinese interface (issue 15, item 13).

`english_words_in(html)` reads what a person sees (text nodes, placeholders and tooltips; not
scripts, styles, code to type as it is, URLs or the language picker's own "English") and answers every word in Latin
letters that is neither a proper noun nor a unit people use as they are in Chinese offices
(ID, PDF, CSV, Excel, ...). Used by the page tests and by the browser walk, which passes
`page.content()`.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

# Words a Chinese page may show in Latin letters: file formats, the product's name, units, and
# the date-format notation Chinese software uses too (请按 YYYY-MM 格式填写).
ALLOWED = frozenset({
    "YYYY", "MM", "DD",
    "ID", "PDF", "CSV", "Excel", "xlsx", "csv", "pdf", "QR", "JPEG", "JPG", "PNG", "API", "URL", "SafetyNet", "English",
    "Parquet", "DuckDB", "HTTP", "HTTPS", "JSON", "UTF", "BOM", "MB", "KB", "GB", "TB", "OK", "CPU",
    "Ibis", "Splink", "WeasyPrint", "Token", "token", "Bearer", "Unicode", "ISO", "UUID", "NUL", "SHA", "xls", "zip",
    "parquet",
})
# Scripts and styles are not text; <code>, <kbd> and <samp> hold what is typed as it is (a
# column name a file must carry, a command).
_SKIPPED_TAGS = {"script", "style", "template", "noscript", "code", "kbd", "samp"}
_VISIBLE_ATTRIBUTES = ("placeholder", "title")
# Addresses, file names and e-mail addresses are what they are in any language.
_NOT_WORDS = re.compile(r"(?:https?://|(?<!\S)/)\S*|\S+@\S+|\S+\.(?:csv|xlsx|pdf|txt|parquet|zip)\b", re.IGNORECASE)
# A run of two or more Latin letters not glued to a digit or another letter ("123X" of an ID
# number, "town1" of a login are not words; "SH-2021" is).
_WORD = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z']*[A-Za-z](?![A-Za-z0-9_])")


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED_TAGS:
            self._skipping += 1
            return
        for name, value in attrs:
            if name in _VISIBLE_ATTRIBUTES and value:
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in _SKIPPED_TAGS and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping:
            self.parts.append(data)


def visible_text(html: str) -> list[str]:
    """The pieces of text a person sees, in page order."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return [p.strip() for p in parser.parts if p.strip()]


def english_in_context(html: str, allowed: frozenset | set = ALLOWED) -> list[tuple[str, str]]:
    """Each Latin-letter word of the visible text not in `allowed`, once, in page order, with the
    text it stands in (so a failure says where: ("minor", "关系：minor"))."""
    found: dict[str, str] = {}
    for piece in visible_text(html):
        text = _NOT_WORDS.sub(" ", piece)
        for match in _WORD.finditer(text):
            word = match.group(0)
            if word not in allowed and word not in found:
                found[word] = piece[:160]
    return list(found.items())


def english_words_in(html: str, allowed: frozenset | set = ALLOWED) -> list[str]:
    """The untranslated words of a page: empty when the Chinese interface is complete."""
    return [word for word, _context in english_in_context(html, allowed)]
