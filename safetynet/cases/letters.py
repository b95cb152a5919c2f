"""Decision letters as A4 PDFs in Chinese (POLICY.md §1 steps 6–7; DESIGN.md §4 PDFs).

An HTML template (`cases/letter.html`) printed by WeasyPrint with the Noto CJK fonts Debian's
`fonts-noto-cjk` installs. The letter is an official document handed to the applicant, so its
wording is the fixed Chinese of such letters whatever the language of the page that printed it
(the reasons and the breakdown are shown as they were recorded with the decision).

- Approval: the amount, the month payment starts (the month after confirmation, MLG-2021
  art. 25), the number of people covered, and the breakdown line by line (what, figure, rule).
- Refusal: the reasons in writing (MLG-2021 art. 21: within 3 working days), the right to
  object to the verification with evidence (art. 18), and to administrative review or a lawsuit.
- A manual medical reimbursement (one-off, like temporary aid): the patient, the amount and the
  settlement's breakdown, decided under MA-2021, which the letter names (programs/legal.py).

WeasyPrint needs Pango (libpango-1.0-0, libpangoft2-1.0-0), HarfBuzz with its subsetter
(libharfbuzz-subset0: without it a page takes seconds) and the fonts; nothing else.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from safetynet.areas.models import Area
from safetynet.core.money import format_yuan
from safetynet.core.scoping import Actor
from safetynet.programs import legal
from safetynet.programs.facts import texts_in

from .models import Case, Decision, DecisionOutcome
from .snapshots import living_members, member_name

ISSUING_PERMISSIONS = ("cases.confirm", "cases.temporary_town", "cases.temporary_approve")
PROGRAM_TITLES = {"dibao": "最低生活保障", "special_hardship": "特困人员救助供养", "temporary": "临时救助",
                  "medical": "医疗救助"}
# The regulation a letter decides under, cited by its name (programs/legal.py); the others' letters
# have always named the dibao measures.
PROGRAM_REGULATIONS = {"medical": "MA-2021"}
# Programs whose decision is a one-off amount, not a monthly one.
ONE_OFF = ("temporary", "medical")
CHINESE_DIGITS = "〇一二三四五六七八九"


def can_issue(actor: Actor) -> bool:
    """Posts that decide (and so hand letters over); others may read a letter without issuing it."""
    return any(actor.can(p) for p in ISSUING_PERMISSIONS)


def chinese_date(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def issuing_authority(decision: Decision, case: Case) -> str:
    """The county's civil-affairs bureau, or the town's government where it decided (delegated
    confirmation, MLG-2021 art. 2; town-level temporary aid)."""
    decided_at = decision.decided_by_area or case.area_id[:6]
    if len(decided_at) == 9:
        name = Area.objects.filter(code=decided_at).values_list("name", flat=True).first() or ""
        return f"{name}人民政府"
    county = Area.objects.filter(code=case.area_id[:6]).values_list("name", flat=True).first() or ""
    return f"{county}民政局"


def letter_context(case: Case, decision: Decision) -> dict:
    assessment = decision.assessment or {}
    members = living_members(case.snapshot)
    covered = 1 if (case.covered_person_id and case.program_id in ("special_hardship", "dibao", "medical")
                    and (case.program_id != "dibao" or case.kind == "individual")) else len(members)
    # The letter is the household's: always in the official language, whatever the interface was.
    breakdown, reasons = texts_in(assessment, settings.LANGUAGE_CODE)
    lines = []
    for line in breakdown:
        amount = line.get("amount")
        lines.append({"item": line.get("item", ""), "amount": format_yuan(Decimal(amount)) if amount not in (None, "") else "",
                      "rule": line.get("rule", ""), "section": line.get("section", "")})
    return {
        "case": case, "decision": decision, "approved": decision.outcome == DecisionOutcome.APPROVED,
        "program_title": PROGRAM_TITLES.get(case.program_id, case.program_id),
        "applicant": member_name(case.snapshot, case.applicant_id) or case.applicant.name,
        "covered_name": member_name(case.snapshot, case.covered_person_id) if case.covered_person_id else "",
        "address": case.snapshot.get("household", {}).get("address", ""),
        "people": covered, "amount": format_yuan(decision.monthly_amount),
        "start_month": f"{decision.start_month.year}年{decision.start_month.month}月" if decision.start_month else "",
        "applied_on": chinese_date(case.applied_on), "decided_on": chinese_date(decision.decided_on),
        "lines": lines, "reasons": [r for r in (decision.reasons or "").splitlines() if r.strip()] or
        [str(r) for r in reasons],
        "authority": issuing_authority(decision, case),
        "printed_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "one_off": case.program_id in ONE_OFF,
        "regulation": legal.title(PROGRAM_REGULATIONS.get(case.program_id, "MLG-2021"), "zh-hans"),
    }


def html_to_pdf(html: str) -> bytes:
    """Print HTML to PDF with WeasyPrint (imported here: loading Pango costs a moment)."""
    import weasyprint

    return weasyprint.HTML(string=html).write_pdf()


def decision_letter_html(case: Case, decision: Decision) -> str:
    with translation.override("zh-hans"):
        return render_to_string("cases/letter.html", letter_context(case, decision))


def decision_letter_pdf(case: Case, decision: Decision) -> bytes:
    return html_to_pdf(decision_letter_html(case, decision))
