"""The quality of a contract's work, from the county's spot checks (issue 19 part 4; issue 18 part 4).

A spot-check item re-visits a confirmed case or a live enrollment and gives a verdict. It
measures a provider's work when the case or enrollment is one the provider worked on under the
contract (a case's task, the case a lead's task led to, the enrollment of a re-check's task) and
the re-visit came on or after the task was given. The contract's accuracy is the share of those
items whose verdict was "correct", against the contract's target: met or missed, or "not yet
sampled" when no item with a verdict touches its work.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from safetynet.discovery.models import Lead
from safetynet.enrollments.change_models import Recheck
from safetynet.oversight.spotcheck_models import SpotCheckItem, Verdict

from .models import Contract, ServiceTask, TaskStatus

# The tasks whose work counts: handed in (submitted, accepted) or rejected after it was handed in.
WORKED = (TaskStatus.SUBMITTED, TaskStatus.ACCEPTED, TaskStatus.REJECTED)


@dataclass
class Quality:
    contract_id: int
    target: Decimal
    sampled: int = 0          # spot-check items with a verdict on the contract's work
    correct: int = 0
    pending: int = 0          # drawn, not yet re-visited

    @property
    def wrong(self) -> int:
        return self.sampled - self.correct

    @property
    def accuracy(self) -> Decimal | None:
        if not self.sampled:
            return None
        return (Decimal(self.correct) / Decimal(self.sampled)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    @property
    def met(self) -> bool | None:
        """True (met), False (missed), None (not yet sampled)."""
        return None if self.accuracy is None else self.accuracy >= self.target

    @property
    def percent(self) -> str:
        return "" if self.accuracy is None else f"{self.accuracy * 100:.1f}"

    def as_dict(self) -> dict:
        return {"contract": self.contract_id, "sampled": self.sampled, "correct": self.correct, "wrong": self.wrong,
                "pending": self.pending, "accuracy": float(self.accuracy) if self.accuracy is not None else None,
                "target": float(self.target), "met": self.met}


def quality_of(contracts: list[Contract]) -> dict[int, Quality]:
    """Each contract's quality, for all of them at once (a few reads, whatever their number)."""
    result = {c.pk: Quality(c.pk, c.quality_target) for c in contracts}
    if not result:
        return result
    tasks = list(ServiceTask.objects.filter(contract_id__in=list(result), status__in=WORKED)
                 .values_list("contract_id", "case_id", "recheck_id", "lead_id", "assigned_on"))
    lead_cases = dict(Lead.objects.filter(pk__in=[t[3] for t in tasks if t[3]], case__isnull=False)
                      .values_list("pk", "case_id"))
    recheck_enrollments = dict(Recheck.objects.filter(pk__in=[t[2] for t in tasks if t[2]])
                               .values_list("pk", "enrollment_id"))
    by_case, by_enrollment = defaultdict(list), defaultdict(list)     # -> [(contract, assigned_on)]
    for contract_id, case_id, recheck_id, lead_id, assigned_on in tasks:
        case_id = case_id or lead_cases.get(lead_id)
        if case_id:
            by_case[case_id].append((contract_id, assigned_on))
        if recheck_id and recheck_id in recheck_enrollments:
            by_enrollment[recheck_enrollments[recheck_id]].append((contract_id, assigned_on))
    if not by_case and not by_enrollment:
        return result
    items = SpotCheckItem.objects.filter(Q(case_id__in=list(by_case)) | Q(enrollment_id__in=list(by_enrollment))) \
        .values_list("pk", "case_id", "enrollment_id", "verdict", "visited_on", "campaign__started_on")
    for _pk, case_id, enrollment_id, verdict, visited_on, started_on in items:
        worked = by_case.get(case_id, []) + by_enrollment.get(enrollment_id, [])
        seen = set()
        for contract_id, assigned_on in worked:
            when = visited_on or started_on
            if contract_id in seen or when < assigned_on:
                continue
            seen.add(contract_id)
            q = result[contract_id]
            if not verdict:
                q.pending += 1
            else:
                q.sampled += 1
                q.correct += verdict == Verdict.CORRECT
    return result


def chart_of(quality: Quality) -> dict:
    """The contract page's bar: accuracy against the target, in per cent (a JSON block)."""
    return {"accuracy": float(quality.accuracy * 100) if quality.accuracy is not None else None,
            "target": float(quality.target * 100), "sampled": quality.sampled, "correct": quality.correct}
