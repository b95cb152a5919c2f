"""The unified social credit code (统一社会信用代码, GB 32100-2015) of an organisation, as people
type it: 18 characters, checked with python-stdnum behind this one wrapper (it raises its own
exception types, and may raise others on odd input). Used wherever an organisation names itself:
a service project's proposer (services/projects.py), a provider.
"""
from __future__ import annotations

import unicodedata

from django.utils.translation import gettext as _
from stdnum.cn import uscc
from stdnum.exceptions import InvalidChecksum, InvalidLength

from .errors import ValidationError
from .text import ZERO_WIDTH

_REMOVED = {ord(c): None for c in ZERO_WIDTH}


def normalise_uscc(value) -> str:
    """NFKC (full-width letters and digits), spaces, hyphens and zero-width characters gone,
    upper case. Not validated: see `parse_uscc`."""
    text = unicodedata.normalize("NFKC", ("" if value is None else str(value)).translate(_REMOVED))
    return "".join(text.split()).replace("-", "").upper()


def parse_uscc(value, *, field: str = "uscc") -> str:
    """The code in its 18-character form, or a ValidationError saying what is wrong with it."""
    code = normalise_uscc(value)
    if not code:
        raise ValidationError(_("The unified social credit code is required."), field=field, code="required")
    if len(code) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)},
                              field=field, code="uscc_length")
    try:
        return uscc.validate(code)
    except InvalidChecksum:
        raise ValidationError(_("The check character of the unified social credit code is wrong: please re-read the code."),
                              field=field, code="uscc_checksum")
    except InvalidLength:
        raise ValidationError(_("A unified social credit code has 18 characters; this one has %(n)d.") % {"n": len(code)},
                              field=field, code="uscc_length")
    except Exception:   # InvalidFormat, InvalidComponent, or anything else the library raises on odd input
        raise ValidationError(_("%(code)s is not a unified social credit code: 18 digits and capital letters (no I, O, "
                                "S, V or Z), as printed on the business licence.") % {"code": code[:18]},
                              field=field, code="uscc_format")
