"""Helpers for the registry tests: valid ID numbers and a household with a head."""
from __future__ import annotations

import datetime as dt
import itertools

from safetynet.core.idnumbers import make_id_number

_sequence = itertools.count(1)


def new_id(birth: dt.date = dt.date(1970, 5, 17), sex: str = "male", prefix: str = "130123") -> str:
    """A fresh valid 18-digit number (a different sequence each call)."""
    n = next(_sequence)
    return make_id_number(prefix, birth + dt.timedelta(days=n // 50), n % 50, sex)


def head(name: str = "张三", **extra) -> dict:
    return {"name": name, "id_number": extra.pop("id_number", None) or new_id(), "relation_to_head": "head", **extra}


def make_household(actor, area_code: str, *, address: str = "正定镇1号", members: list[dict] | None = None, **extra):
    from safetynet.registry.services import create_household

    return create_household(actor=actor, area_code=area_code, address=address, registration_type="rural",
                            members=members if members is not None else [head()], **extra)
