"""An enrollment's amount re-assessed by its program's rule (programs/rules.py), never by a rule
written here: the facts are built the way a case builds them (cases/snapshots.py), the parameters
are those in force for the month (programs/selectors.py), and the outcome keeps its breakdown.

Two sources of facts (DESIGN.md §4 Facts at decision time):
- `facts_in_force`: what the amount in force rests on — the facts stored with the enrollment's
  last decision that stored any, else its case's snapshot and latest verification report. A
  death or a refusal of work changes ONE thing (a member), so its effect is computed on these;
- `current_facts`: the registry as it is now, corrected by a verification result (the re-check's),
  for a re-check's decision.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from safetynet.cases.models import Survey, VerificationReport
from safetynet.cases.snapshots import facts_from_snapshot, take_household_snapshot
from safetynet.cases.standards import jsonable
from safetynet.cases.supporters import facts_for_case
from safetynet.core.errors import ValidationError
from safetynet.programs import rules
from safetynet.programs import selectors as program_selectors
from safetynet.programs.facts import Outcome
from safetynet.verification.casefile import case_findings
from safetynet.verification.models import HouseholdResult
from safetynet.verification.selectors import findings_for_household

from .change_models import Recheck, RecheckStatus
from .models import Enrollment, EnrollmentChange

DIBAO = "dibao"
SPECIAL_HARDSHIP = "special_hardship"


@dataclasses.dataclass
class DeathEffect:
    """What confirming a proposal would do to an enrollment (a death: triggers.death_effect; a
    standard change: restandard.proposal_effect): from which month, the status and amount before
    and after, the reason, the rule's assessment and the facts it rested on."""

    month: dt.date
    current_status: str
    current_amount: Decimal
    status: str
    amount: Decimal
    reason: str
    assessment: dict
    facts: dict

    @property
    def changes(self) -> bool:
        return (self.status, self.amount) != (self.current_status, self.current_amount)


def facts_in_force(enrollment: Enrollment) -> dict:
    change = (EnrollmentChange.objects.filter(enrollment=enrollment, facts__has_key="snapshot")
              .order_by("-at", "-id").only("id", "facts").first())
    if change is not None:
        return change.facts
    case = enrollment.case
    if case.household_id != enrollment.household_id or not case.snapshot:   # enrolled outside a case of its own
        return current_facts(enrollment)
    report = VerificationReport.objects.filter(case_id=case.pk).only("id", "findings").order_by("-id").first()
    return {"snapshot": case.snapshot, "findings": report.findings if report else None,
            "source": f"case:{case.pk}" + (f";report:{report.pk}" if report else "")}


def latest_result(enrollment: Enrollment, since=None):
    """The household's latest verification result from a finished run (since `since`)."""
    qs = HouseholdResult.objects.filter(household_id=enrollment.household_id, run__status="done").select_related("run")
    if since is not None:
        qs = qs.filter(run__created_at__gte=since)
    return qs.order_by("-run_id").first()


def current_facts(enrollment: Enrollment, *, result=None) -> dict:
    """The household now; with a verification `HouseholdResult`, its verified income and assets
    replace the declared ones (verification.casefile.case_findings, as a case's report does)."""
    snapshot = take_household_snapshot(enrollment.household)
    findings = None
    source = "registry"
    if result is not None:
        findings = case_findings(result.run, result, findings_for_household(result.run, result.household_id), snapshot)
        source += f";verification:{result.run_id}"
    return jsonable({"snapshot": snapshot, "findings": findings, "source": source})


def without_members(facts: dict, person_ids) -> dict:
    """The same facts with these members dead (a death's share stops: POLICY.md §1)."""
    ids = set(person_ids)
    changed = copy.deepcopy(facts)
    for member in changed["snapshot"].get("members", []):
        if member.get("person_id") in ids:
            member["is_deceased"] = True
    return changed


def side(enrollment: Enrollment, facts: dict, month: dt.date, amount: Decimal) -> dict:
    """One side of a change as the town reads it: how many members the amount counts, their
    counted monthly income (excluded kinds left out, as the rule counts it), and the amount."""
    covered = enrollment.person_id if enrollment.program_id == DIBAO else None
    household = facts_from_snapshot(facts["snapshot"], month, findings=facts.get("findings"), covered_person_id=covered)
    counted = [m for m in household.members if m.is_applicant]
    return {"members": len(counted), "income": f"{sum((m.monthly_income for m in counted), Decimal('0')):.2f}",
            "amount": f"{Decimal(amount):.2f}"}


def _supporters_and_level(enrollment: Enrollment, care_level: str | None):
    """The supporters kept on the enrollment's case (cases/supporters.py: recorded on the case
    page, through the API or with the survey), and the care level: the one given, else the one
    the latest closed re-check's survey assessed, else the case survey's (SH-2021 art. 21–22)."""
    supporters = facts_for_case(enrollment.case_id, person_id=enrollment.person_id)
    level = care_level or (Recheck.objects.filter(enrollment=enrollment, status=RecheckStatus.CLOSED).exclude(care_level="")
                           .order_by("-closed_on", "-id").values_list("care_level", flat=True).first())
    if not level:
        survey = Survey.objects.filter(case_id=enrollment.case_id).exclude(care_level="").order_by("-id").first()
        level = survey.care_level if survey else rules.SELF_CARE
    return supporters, level


def assess(enrollment: Enrollment, facts: dict, month: dt.date, *, refused=(), care_level: str | None = None) -> Outcome:
    """The program's outcome for the enrollment on `facts` with the parameters in force in
    `month`. `refused`: members counted as having refused suitable work the limit number of times
    (MLG-2021 art. 34: they count for the income but are not paid)."""
    program = enrollment.program_id
    covered = enrollment.person_id if program == DIBAO else None
    household = facts_from_snapshot(facts["snapshot"], month, findings=facts.get("findings"), covered_person_id=covered)
    area = enrollment.area_id
    if program == DIBAO:
        params = program_selectors.dibao_parameters(area, month, is_urban=household.is_urban)
        if refused:
            refused = set(refused)
            household = dataclasses.replace(household, members=tuple(
                dataclasses.replace(m, refused_work_times=max(m.refused_work_times, params.refused_work_limit))
                if m.person_id in refused else m for m in household.members))
        return rules.assess_dibao(household, params)
    if program == SPECIAL_HARDSHIP:
        params = program_selectors.special_hardship_parameters(area, month, is_urban=household.is_urban)
        person = next((m for m in household.members if m.person_id == enrollment.person_id), None)
        if person is None:
            return Outcome(False, Decimal("0.00"), (_("The supported person is no longer a living member of the household."),))
        supporters, level = _supporters_and_level(enrollment, care_level)
        return rules.assess_special_hardship(person, household, supporters, params, level=level)
    raise ValidationError(_("Only monthly programs (dibao, special hardship) are re-assessed."), field="program")


def assess_gradual_exit(enrollment: Enrollment, facts: dict, month: dt.date, *, current_amount: Decimal) -> tuple[Outcome, int]:
    """rules.assess_gradual_exit in the effective month (months elapsed 0), with the number of
    months the parameters allow (POLICY.md §1: local default 6)."""
    if enrollment.program_id != DIBAO:
        raise ValidationError(_("A gradual exit is for dibao households whose income rose from work."), field="kind")
    household = facts_from_snapshot(facts["snapshot"], month, findings=facts.get("findings"),
                                    covered_person_id=enrollment.person_id)
    params = program_selectors.dibao_parameters(enrollment.area_id, month, is_urban=household.is_urban)
    outcome = rules.assess_gradual_exit(household, params, current_amount=current_amount, income_rose_from_work=True,
                                        months_elapsed=0)
    return outcome, params.gradual_exit_months


def outcome_json(outcome: Outcome) -> dict:
    return jsonable(outcome.as_dict())
