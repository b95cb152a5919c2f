"""The verification report of one household (POLICY.md §5; issue 4, part 4): what the page and the
A4 PDF show, and the county officer's sign-off.

The report lists, per member, each income and asset item found with its source and the date of
the snapshot it came from; the assessed totals against the thresholds of the rule in force
(stored with the result: `HouseholdResult.rule`); and each flag with the rule that raised it —
in words a worker can read aloud (UI.md: say why).

Reads go through the actor's scope: a result belongs to its household's area, so a town worker
sees the reports of his town's households (and so of his town's cases) and nothing else (404).
The sign-off is a write: `sign_off_report`, audited, by a county officer ("verification.run")
acting as a person — the verification service never signs.

Above all the report says what it knew (coverage.py): per dataset, whether a snapshot was there,
its date and age, and whether the household matched in it. Built on a missing or out-of-date
dataset, it says so at the top, is never "clean", and its sign-off needs a reason for each such
dataset; that sign-off is also what files it on the case waiting for it.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext

from safetynet.areas.models import Area
from safetynet.cases.errors import TransitionNotAllowed
from safetynet.cases.letters import html_to_pdf
from safetynet.cases.models import Case, VerificationReport
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, PermissionDenied
from safetynet.core.masking import mask_id_number
from safetynet.core.money import format_yuan
from safetynet.core.scoping import Actor
from safetynet.registry.models import Household, Person

from .casefile import flag_label
from .coverage import DatasetCoverage, coverage_of, gaps, read_datasets, require_reasons
from .models import HouseholdResult, RunStatus
from .schemas import DATASETS, Department
from .selectors import findings_for_household
from .services import attach_to_case
from .signoff_models import ReportSignOff

SIGN_PERMISSION = "verification.run"
LINKED_MARK = " ⇐ "   # identity.linked_findings suffixes a linked record's key with its own

ITEM_LABELS = {
    "wages": _l("wages"), "taxable_income": _l("taxable income"), "pension": _l("pension"),
    "excluded_basic_pension": _l("basic pension for residents (not counted)"), "unemployment": _l("unemployment benefit"),
    "home": _l("home"), "non_residential": _l("non-residential property"), "business": _l("business"),
    "vehicle": _l("motor vehicle"), "mobility_vehicle": _l("exempt vehicle (mobility, motorcycle, e-bike)"),
    "provident_fund": _l("housing provident fund"), "deposit": _l("bank deposit"), "securities": _l("securities"),
    "insurance": _l("commercial insurance"), "medical_self_paid": _l("self-paid medical costs"), "death": _l("death"),
}
INCOME_LABELS = {"wages": _l("wages"), "pension": _l("pensions"), "unemployment": _l("unemployment benefit"),
                 "other": _l("other declared income"), "excluded_basic_pension": _l("basic pension for residents (not counted)")}


def item_label(item: str) -> str:
    label = ITEM_LABELS.get(item)
    return str(label) if label else item


def source_label(code: str) -> str:
    dataset = DATASETS.get(code)
    return str(dataset.label) if dataset else code


def department_label(code: str) -> str:
    try:
        return str(Department(code).label)
    except ValueError:
        return code


def _dec(value) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------

def get_result(actor: Actor, result_id, *, for_update: bool = False) -> HouseholdResult:
    """A household's result in the actor's scope (out of scope or unknown → NotFound, 404)."""
    actor.require("verification.view")
    try:
        qs = HouseholdResult.objects.select_related("run")
        if for_update:
            qs = qs.select_for_update(of=("self",))
        result = qs.get(pk=int(result_id))
    except (HouseholdResult.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found."))
    if not actor.covers(result.area_code):
        raise NotFound(_("Not found."))
    return result


def results_for_household(actor: Actor, household_id: int):
    actor.require("verification.view")
    qs = HouseholdResult.objects.filter(household_id=household_id, run__status=RunStatus.DONE).select_related("run")
    if not actor.is_national:
        qs = qs.filter(area_code__startswith=actor.area_code)
    return qs.order_by("-run_id")


def case_of(result: HouseholdResult) -> int | None:
    """The case that asked for this result: the run's own, or, in a run of cases, the household's."""
    run = result.run
    if run.case_id:
        return run.case_id
    for case_id, household_id in ((run.notes or {}).get("cases") or {}).items():
        if int(household_id) == result.household_id:
            return int(case_id)
    return None


def rechecks_of(actor: Actor, result: HouseholdResult) -> list[int]:
    """The re-checks this report was filed on (payments.rechecks), those the actor may open, so
    the report links back to the work that asked for it, as it does to its case."""
    from safetynet.enrollments.change_models import Recheck

    if not actor.can("payments.view"):
        return []
    return [pk for pk, area in Recheck.objects.filter(household_result_id=result.pk).order_by("id").values_list("id", "area_id")
            if actor.covers(area)]


# --------------------------------------------------------------------------------------------
# What the report says
# --------------------------------------------------------------------------------------------

@dataclass
class Threshold:
    label: str
    found: str
    limit: str
    exceeded: bool
    rule: str


def thresholds(result: HouseholdResult) -> list[Threshold]:
    """The assessed totals beside the limits of the rule in force (POLICY.md §1, MLG-2021 art. 13–14)."""
    rule = result.rule or {}
    flags = set(result.flags or [])
    rows = []
    standard = rule.get("standard")
    rows.append(Threshold(_("Counted income per person, monthly"), format_yuan(result.per_capita_income),
                          format_yuan(_dec(standard)) if standard else "—", "income_over_standard" in flags,
                          _("below the dibao standard (MLG-2021 art. 13)")))
    limit = rule.get("financial_limit")
    rows.append(Threshold(_("Financial assets (deposits, securities, insurance)"), format_yuan(result.financial_assets),
                          format_yuan(_dec(limit)) if limit else "—", "financial_assets_over_limit" in flags,
                          _("at most the limit for %(n)s members (MLG-2021 art. 14)") % {"n": rule.get("members", result.members)}))
    for label, found, key, flag, why in (
        (_("Homes"), result.homes, "max_homes", "more_than_one_home", _("housing (MLG-2021 art. 14)")),
        (_("Non-residential property"), result.non_residential, "max_non_residential_properties", "non_residential_property",
         _("shops, offices (MLG-2021 art. 14)")),
        (_("Motor vehicles"), result.vehicles, "max_vehicles", "vehicle",
         _("a disabled person's mobility vehicle, a motorcycle or an e-bike excepted")),
        (_("Registered businesses"), result.businesses, "max_businesses", "business", _("MLG-2021 art. 14")),
    ):
        maximum = rule.get(key)
        rows.append(Threshold(label, str(found), "—" if maximum is None else str(maximum), flag in flags, why))
    return rows


def flag_reasons(result: HouseholdResult) -> list[dict]:
    """Each flag with the rule applied, in words."""
    rule = result.rule or {}
    section = rule.get("section") or "POLICY.md §1"
    out = []
    for flag in result.flags or []:
        if flag == "income_over_standard":
            text = _("Counted income per person %(income)s a month is not below the standard %(standard)s.") % {
                "income": format_yuan(result.per_capita_income), "standard": format_yuan(_dec(rule.get("standard")))}
            where = "MLG-2021 art. 13"
        elif flag == "financial_assets_over_limit":
            text = _("Financial assets %(assets)s exceed the limit %(limit)s for %(n)s members.") % {
                "assets": format_yuan(result.financial_assets), "limit": format_yuan(_dec(rule.get("financial_limit"))),
                "n": rule.get("members", result.members)}
            where = "MLG-2021 art. 14"
        elif flag == "more_than_one_home":
            text = ngettext("%(n)d home found; at most %(max)s allowed.", "%(n)d homes found; at most %(max)s allowed.",
                            result.homes) % {"n": result.homes, "max": rule.get("max_homes", 1)}
            where = "MLG-2021 art. 14"
        elif flag == "non_residential_property":
            text = ngettext("%(n)d non-residential property found; at most %(max)s allowed.",
                            "%(n)d non-residential properties found; at most %(max)s allowed.", result.non_residential) % {
                "n": result.non_residential, "max": rule.get("max_non_residential_properties", 0)}
            where = "MLG-2021 art. 14"
        elif flag == "vehicle":
            text = ngettext("%(n)d motor vehicle found; at most %(max)s allowed (mobility vehicles, motorcycles and "
                            "e-bikes excepted).",
                            "%(n)d motor vehicles found; at most %(max)s allowed (mobility vehicles, motorcycles and "
                            "e-bikes excepted).", result.vehicles) % {"n": result.vehicles, "max": rule.get("max_vehicles", 0)}
            where = "MLG-2021 art. 14"
        elif flag == "business":
            text = ngettext("%(n)d registered business found; at most %(max)s allowed.",
                            "%(n)d registered businesses found; at most %(max)s allowed.", result.businesses) % {
                "n": result.businesses, "max": rule.get("max_businesses", 0)}
            where = "MLG-2021 art. 14"
        elif flag == "member_deceased":
            text = ngettext("Public security reports the death of %(n)d member the registry lists as alive: not counted.",
                            "Public security reports the death of %(n)d members the registry lists as alive: not counted.",
                            result.deceased) % {"n": result.deceased}
            where = "POLICY.md §5"
        elif flag == "undeclared_wages":
            text = _("Wages found %(found)s a month exceed the wages declared %(declared)s.") % {
                "found": format_yuan(result.found_wages), "declared": format_yuan(result.declared_wages)}
            where = "MLG-2021 art. 13"
        else:
            text, where = flag, section
        out.append({"flag": flag, "label": flag_label(flag), "text": text, "rule": where})
    return out


def _finding_row(f: dict) -> dict:
    monthly = f.get("monthly_amount")
    value = f.get("value")
    key = f.get("record_key") or ""
    return {
        "source": source_label(f.get("source", "")), "department": department_label(f.get("department", "")),
        "item": item_label(f.get("item", "")), "counted": bool(f.get("counted")),
        "amount": (_("%(amount)s a month") % {"amount": format_yuan(monthly)}) if monthly is not None else
                  (format_yuan(value) if value is not None else ""),
        "subject": f.get("subject") or "", "detail": f.get("detail") or "",
        "record_date": f.get("record_date"), "snapshot_taken_on": f.get("snapshot_taken_on"),
        "snapshot_id": f.get("snapshot_id"), "linked": LINKED_MARK in key, "is_death": f.get("item") == "death",
    }


def report_context(actor: Actor, result: HouseholdResult) -> dict:
    """Everything the page and the PDF show."""
    run = result.run
    household = Household.objects.filter(pk=result.household_id).values("id", "address", "area_id").first() or {}
    area_name = Area.objects.filter(code=result.area_code).values_list("name", flat=True).first() or ""
    people = list(Person.objects.filter(household_id=result.household_id).order_by("id")
                  .values("id", "name", "id_number", "birth_date", "relation_to_head", "is_deceased"))
    whole_ids = actor.can("registry.view_id_number")
    findings = findings_for_household(run, result.household_id)
    by_person: dict[int, list] = OrderedDict((p["id"], []) for p in people)
    for f in findings:
        by_person.setdefault(f["person_id"], []).append(_finding_row(f))
    members = []
    names = {p["id"]: p for p in people}
    for person_id, rows in by_person.items():
        p = names.get(person_id, {})
        members.append({"person_id": person_id, "name": p.get("name", f"#{person_id}"),
                        "id_number": (p.get("id_number", "") if whole_ids else mask_id_number(p.get("id_number", ""))),
                        "birth_date": p.get("birth_date"), "deceased": p.get("is_deceased", False)
                        or any(r["is_death"] for r in rows), "findings": rows})
    income = [{"label": str(INCOME_LABELS.get(k, k)), "amount": format_yuan(_dec(v))}
              for k, v in (result.income or {}).items() if _dec(v)]
    sign_off = ReportSignOff.objects.filter(result=result).first()
    coverage = report_coverage(result, findings, sign_off)
    missing = gaps(coverage)
    rule = result.rule or {}
    return {
        "coverage": coverage, "gaps": missing, "complete": not missing, "clean": not missing and not result.flags,
        "datasets_read": len(read_datasets()) - len(missing), "datasets_total": len(read_datasets()),
        "result": result, "run": run, "household": household, "area_name": area_name, "case_id": case_of(result),
        "recheck_ids": rechecks_of(actor, result),
        "members": members, "findings_count": len(findings), "thresholds": thresholds(result), "flags": flag_reasons(result),
        "income": income, "counted_income": format_yuan(result.counted_income),
        "per_capita_income": format_yuan(result.per_capita_income), "financial_assets": format_yuan(result.financial_assets),
        "amount": format_yuan(result.amount), "rule": rule, "standard": format_yuan(_dec(rule["standard"])) if rule.get("standard") else "",
        "sign_off": sign_off, "can_sign": actor.can(SIGN_PERMISSION) and actor.user_id is not None and sign_off is None,
        "snapshots": sorted({(r["source"], r["snapshot_taken_on"]) for m in members for r in m["findings"]}, key=str),
        "printed_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }


def report_html(actor: Actor, result: HouseholdResult) -> str:
    return render_to_string("verification/report_pdf.html", report_context(actor, result))


def report_pdf(actor: Actor, result: HouseholdResult) -> bytes:
    """The A4 PDF, printed by the decision letters' WeasyPrint helper (Noto CJK fonts)."""
    return html_to_pdf(report_html(actor, result))


# --------------------------------------------------------------------------------------------
# Sign-off
# --------------------------------------------------------------------------------------------

def report_coverage(result: HouseholdResult, findings, sign_off: ReportSignOff | None = None) -> list[DatasetCoverage]:
    """Per dataset, what the report knew: as signed (with the reasons given), or as the run read it."""
    if sign_off is not None and sign_off.coverage:
        return [DatasetCoverage.from_dict(row) for row in sign_off.coverage]
    return coverage_of(result.run, result.area_code, findings)


def report_gaps(result: HouseholdResult) -> list[DatasetCoverage]:
    """The datasets the report lacked or read out of date (with the reasons, once signed)."""
    sign_off = ReportSignOff.objects.filter(result=result).first()
    return gaps(report_coverage(result, findings_for_household(result.run, result.household_id), sign_off))


def unexplained_gaps(result: HouseholdResult) -> list[DatasetCoverage]:
    """The datasets the report lacked or read out of date with no signed reason: what still stands
    between the report and any decision taken on it (a re-check's closing)."""
    return [c for c in report_gaps(result) if not c.reason]


def report_is_clean(result: HouseholdResult) -> bool:
    """No flag, and every dataset there and fresh: only then may a page say "no flag" alone."""
    return not result.flags and not report_gaps(result)


def sign_off_report(*, actor: Actor, result_id: int, note: str = "", reasons: dict | None = None) -> ReportSignOff:
    """A county officer signs the report: from then on it reads as signed, by whom and when.

    `reasons` {dataset: text}: one for each dataset that was missing or out of date
    (coverage.require_reasons; refused naming the field otherwise). A report so signed, whose
    case still waits for its verification, is filed on the case now (services.attach_to_case):
    a complete one was filed when it was made."""
    sign_off, result, findings, coverage = _sign(actor=actor, result_id=result_id, note=note, reasons=reasons)
    case_id = case_of(result)
    if gaps(coverage) and case_id is not None:
        _file_on_case(actor, result, findings, coverage, case_id)
    return sign_off


def _file_on_case(actor: Actor, result: HouseholdResult, findings, coverage, case_id: int) -> None:
    if (VerificationReport.objects.filter(case_id=case_id, source="engine", findings__run=result.run_id).exists()
            or not Case.objects.filter(pk=case_id).exists()):
        return
    try:
        attach_to_case(actor=actor, run=result.run, result=result, findings=findings, case_id=case_id, coverage=coverage)
    except TransitionNotAllowed:
        return   # the case moved on (a verification entered by hand, a withdrawal): the report stays signed


@transaction.atomic(durable=True)
def _sign(*, actor: Actor, result_id: int, note: str, reasons: dict | None):
    actor.require(SIGN_PERMISSION)
    if actor.user_id is None:
        raise PermissionDenied(_("A county officer signs verification reports; the system never does."), code="forbidden")
    result = get_result(actor, result_id, for_update=True)
    if result.run.status != RunStatus.DONE:
        raise Conflict(_("The verification is not finished yet."), code="run_not_done")
    if ReportSignOff.objects.filter(result=result).exists():
        raise Conflict(_("This report is already signed."), code="already_signed")
    findings = findings_for_household(result.run, result.household_id)
    coverage = require_reasons(coverage_of(result.run, result.area_code, findings), reasons)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=actor.user_id).first()
    full_name = f"{user.last_name}{user.first_name}".strip() if user else ""
    try:
        with transaction.atomic():
            sign_off = ReportSignOff.objects.create(
                result=result, signed_by=actor.username, signed_name=full_name, signed_role=actor.role,
                signed_area=actor.area_code, signed_at=timezone.now(), note=(note or "").strip()[:2000],
                coverage=[c.as_dict() for c in coverage])
    except IntegrityError:
        raise Conflict(_("This report is already signed."), code="already_signed")
    record_event(actor=actor, action="verification.sign_off_report", obj=result,
                 after={"run": result.run_id, "household": result.household_id, "flags": result.flags,
                        "note": sign_off.note, "reasons": {c.dataset: c.reason for c in coverage if c.reason}})
    return sign_off, result, findings, coverage
