"""Text as people type or paste it, made one form before it is checked or stored.

Names, addresses and free text reach us from pages, the API and spreadsheets, typed on Chinese
input methods (full-width letters and digits, the ideographic space) or pasted from chat apps and
PDFs (zero-width characters, non-breaking spaces). `normalise_text` makes them one form, so the
same name is stored, searched and compared the same way; `clean_text` also refuses what must not
be inside a line of text (a NUL, a line break, another control character) with a specific error.
One function for every caller: registry services (and so pages, API and roster import), search.
"""
from __future__ import annotations

import re
import unicodedata

from django.utils.translation import gettext as _

from .errors import ValidationError

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_ZERO_WIDTH_TABLE = {ord(c): None for c in ZERO_WIDTH}
_SPACES = re.compile(r"[^\S\r\n\t\v\f\x1c-\x1f\x85\u2028\u2029]+")  # runs of spaces that are not line or control breaks


def normalise_text(value) -> str:
    """NFKC (full-width letters and digits, the ideographic space become their usual forms),
    zero-width characters removed, each run of spaces inside made one space, ends stripped.

    Control characters are kept, for `clean_text` to refuse them by name; a search term may
    call this alone."""
    if value is None:
        return ""
    # Zero-width characters go first: left in, they would keep a letter and its accent apart
    # through NFKC, and the result would change again when normalised a second time.
    text = unicodedata.normalize("NFKC", str(value).translate(_ZERO_WIDTH_TABLE))
    return _SPACES.sub(" ", text).strip()


def control_character(text: str) -> str | None:
    """The first character that has no place inside a line of text, or None.

    Control characters (Cc: NUL, tab, line breaks, DEL, the C1 range), line and paragraph
    separators, other invisible format characters (Cf: bidirectional overrides) and lone
    surrogates. Private-use characters are allowed: rare characters of Chinese names are
    often encoded there."""
    for char in text:
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            return char
    return None


def clean_text(value, *, field: str, max_length: int | None = None) -> str:
    """`normalise_text`, then refuse a control character inside or a text longer than
    `max_length` (counted after normalising) with a ValidationError naming `field`."""
    text = normalise_text(value)
    bad = control_character(text)
    if bad is not None:
        raise ValidationError(
            _("The text contains a control character (%(code)s, such as a line break or an invisible character): "
              "type it again on one line.") % {"code": f"U+{ord(bad):04X}"},
            field=field, code="control_character")
    if max_length is not None and len(text) > max_length:
        raise ValidationError(_("At most %(n)d characters.") % {"n": max_length}, field=field)
    return text


def clean_field(value, name: str, *, max_length: int, required: bool = False, multiline: bool = False) -> str:
    """Text a person typed, normalised and checked (`clean_text`, line by line if `multiline`)."""
    value = _multiline(value, name) if multiline else clean_text(value or "", field=name)
    if required and not value:
        raise ValidationError(_("This field is required."), field=name)
    if len(value) > max_length:
        raise ValidationError(_("At most %(n)s characters.") % {"n": max_length}, field=name)
    return value


def _multiline(value, name: str) -> str:
    lines = [clean_text(line, field=name) for line in str(value or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip()


def checked_choice(value, choices, name: str, message: str) -> str:
    """`value` if it is one of `choices`, else a refusal naming the field."""
    if value not in [str(c) for c in choices]:
        raise ValidationError(message, field=name)
    return str(value)
