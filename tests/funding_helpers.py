"""Helpers for the funding tests: a county with recorded work in September 2025 (a survey and a
deliberation meeting with its roll in 正定镇, a survey in 新城铺镇), budget lines, and a bank's
return file. Test modules import the `work` fixture by name."""
from __future__ import annotations

import io
import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tests.cases_helpers import D, make_poor_household, new_id, walk
from tests.conftest import COUNTY, OTHER_TOWN, TOWN

_n = itertools.count(1)


def roll(n: int, *, representatives: int = 0, account: bool = True) -> list[dict]:
    rows = []
    for i in range(n):
        k = next(_n)
        rows.append({"name": f"村民{k}", "id_number": new_id(D(1960, 1, 1)),
                     "bank_account": f"6231660000{k:06d}" if account else "", "is_village_representative": i < representatives})
    return rows


class Work:
    """The recorded work of 2025-09 in 正定县 and its posts."""


@pytest.fixture
def work(posts, clock, standards, village, other_village):
    from safetynet.cases import services
    from safetynet.cases.deliberation_rolls import record_deliberation_roll

    w = Work()
    w.posts, w.clock = posts, clock
    w.case = walk(posts, make_poor_household(posts.worker, village.code), clock, to="verified")
    w.survey = w.case.surveys.get()
    w.meeting = services.hold_deliberation(actor=posts.cadre, case_id=w.case.pk, held_on=clock(), participants=5,
                                           village_representatives=4, opinion="同意", votes_for=5)
    w.roll = record_deliberation_roll(actor=posts.cadre, deliberation_id=w.meeting.pk, participants=roll(3, representatives=2))
    other_posts = SimpleNamespace(worker=posts.other_worker, verifier=posts.verifier, officer=posts.officer)
    w.other_case = walk(other_posts, make_poor_household(posts.other_worker, other_village.code), clock, to="surveyed")
    w.other_survey = w.other_case.surveys.get()
    return w


def set_workforce_parameter(actor, area_code: str, key: str, value: str, start=D(2025, 9, 1)):
    from safetynet.programs.services import set_parameter

    set_parameter(actor=actor, program_code="workforce", key=key, area_code=area_code, value=value, effective_from=start,
                  reason="test")


def budget(actor, area_code: str, amount: str, *, year: int = 2025, kind: str = "subsidies"):
    from safetynet.funding import budgets

    return budgets.set_budget_line(actor=actor, year=year, area_code=area_code, kind=kind, amount=amount)


def returns_file(rows: list[tuple]) -> io.BytesIO:
    lines = ["reference,amount,result,reason"] + [",".join(str(v) for v in row) for row in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


__all__ = ["COUNTY", "TOWN", "OTHER_TOWN", "Decimal", "D", "work", "roll", "budget", "returns_file",
           "set_workforce_parameter"]
