"""A batch chunk's assessment, from the columns of the totals to the rows stored (engine.py).

Kept apart from engine.py, with no database and no Django models, so that helper processes can
import it: on a province, the rule runs for hundreds of thousands of households and the run
shares that work among the machine's cores (engine.assess_chunk). The assessment is the one of
assessment.py (member_facts, assess_verified: the dibao rule of programs.rules), fed straight
from the columns of expressions.household_rows_expr, without per-household objects.
"""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pyarrow as pa

from safetynet.programs.facts import AssetFacts, MemberFacts

from .assessment import assess_verified, rule_summary

ZERO = Decimal("0.00")


class _Json(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, Decimal):
            return f"{o:.2f}"
        if isinstance(o, (dt.date, dt.datetime)):
            return o.isoformat()
        return super().default(o)


def dumps(value) -> str:
    return json.dumps(value, cls=_Json, ensure_ascii=False, separators=(",", ":"))


def assess_columns(run_id: int, member_rows: pa.Table, household_rows: pa.Table, params: dict,
                   on_date: dt.date) -> tuple[list[tuple], list[int], int]:
    """(result rows in engine.RESULT_FIELDS order, household ids, flagged count). `params` maps
    (area code, is_urban) to (DibaoParameters or None, error message), resolved beforehand."""
    m_household = member_rows.column("household_id").to_pylist()
    m_birth = member_rows.column("birth_date").to_pylist()
    m_type = member_rows.column("disability_type").to_pylist()
    m_grade = member_rows.column("disability_grade").to_pylist()
    m_ill = member_rows.column("serious_illness").to_pylist()
    m_income = member_rows.column("income").to_pylist()
    h = {name: household_rows.column(name).to_pylist() for name in household_rows.column_names}
    ids = h["household_id"]
    n_members = len(m_household)
    rule_texts: dict = {}
    flag_texts: dict = {(): "[]"}
    rows = []
    flagged = 0
    pos = 0
    for i, household_id in enumerate(ids):
        while pos < n_members and m_household[pos] < household_id:
            pos += 1
        start = pos
        while pos < n_members and m_household[pos] == household_id:
            pos += 1
        counted = h["counted_income"][i]
        found = ZERO
        for j in range(start, pos):
            found += m_income[j]
        rest = counted - found
        members = tuple(MemberFacts(birth_date=m_birth[j], monthly_income=m_income[j] + rest if j == start else m_income[j],
                                    disability_type=m_type[j] or "", disability_grade=m_grade[j], serious_illness=bool(m_ill[j]))
                        for j in range(start, pos))
        is_urban = bool(h["is_urban"][i])
        area = h["area_code"][i]
        resolved, error = params.get((area, is_urban), (None, ""))
        assets = AssetFacts(financial=h["financial"][i], homes=h["home"][i], non_residential_properties=h["non_residential"][i],
                            vehicles=h["vehicle"][i], exempt_vehicles=h["mobility_vehicle"][i], businesses=h["business"][i])
        deceased = h["deceased"][i]
        flags, outcome = assess_verified(members, assets, is_urban=is_urban, on_date=on_date, params=resolved,
                                         deceased=deceased, undeclared_wages=bool(h["undeclared_wages"][i]))
        if outcome is not None:
            details = outcome.details
            per_capita, eligible, amount, limit = (details.get("per_capita_income", ZERO), outcome.eligible,
                                                   outcome.monthly_amount, details.get("financial_limit"))
        else:
            per_capita, eligible, amount, limit = ZERO, False, ZERO, None
        rule_key = (id(resolved), is_urban, len(members), limit, error)
        rule = rule_texts.get(rule_key)
        if rule is None:
            rule = rule_texts[rule_key] = dumps(rule_summary(resolved, is_urban=is_urban, size=len(members), month=on_date,
                                                             outcome=outcome, error=error))
        flag_key = tuple(flags)
        flag_text = flag_texts.get(flag_key)
        if flag_text is None:
            flag_text = flag_texts[flag_key] = dumps(flags)
        if flags:
            flagged += 1
        rows.append((run_id, household_id, area, h["chunk"][i], len(members), deceased, str(counted), str(per_capita),
                     h["income_json"][i], h["found_wages_text"][i], h["declared_wages_text"][i], str(h["financial"][i]),
                     h["assets_json"][i], h["home"][i], h["non_residential"][i], h["vehicle"][i], h["business"][i],
                     flag_text, bool(flags), bool(eligible), str(amount), rule))
    return rows, ids, flagged
