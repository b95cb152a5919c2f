"""What a verification report knew (POLICY.md §5; issue 15, item 1): for each dataset the
verification reads, whether a snapshot was there, the day it was taken and its age on the run's
date, and whether the household matched in it (its records, its members found).

A report is complete when every such dataset had a snapshot no older than its limit: the dibao
parameter its department's kind of data names (schemas.Dataset.freshness_parameter; programs
catalogue `data_max_age_*`, resolved for the household's area and the run's month). A report
built on a missing or out-of-date dataset says so at the top, is never called clean ("no flag"
only means "no flag in the data that was there"), and its sign-off needs a reason for each such
dataset: `require_reasons` is that one rule, shared by the report page, the API and the service.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, replace

from django.utils.translation import gettext as _

from safetynet.core.errors import ValidationError
from safetynet.core.text import clean_text
from safetynet.programs.catalogue import DIBAO
from safetynet.programs.selectors import parameters_for

from .models import Snapshot
from .schemas import DATASETS, Department

MISSING = "missing"
STALE = "stale"
FRESH = "fresh"
REASON_MAX_LENGTH = 500


def read_datasets() -> tuple[str, ...]:
    """The datasets the verification reads (those a finding comes from), in declaration order."""
    return tuple(code for code, d in DATASETS.items() if d.finding)


def reason_field(dataset: str) -> str:
    """The name of the reason's field, on the page's form and in errors (the API's `reasons` are keyed by dataset)."""
    return f"reason_{dataset}"


@dataclass(frozen=True)
class DatasetCoverage:
    dataset: str
    snapshot_id: int | None = None
    taken_on: dt.date | None = None
    age_days: int | None = None        # on the run's date
    max_age_days: int | None = None    # the limit in force for the household's area and the run's month
    records: int = 0                   # the household's records found in the snapshot
    members: int = 0                   # members with at least one record
    reason: str = ""                   # why the report was signed without this dataset, or with old data

    @property
    def state(self) -> str:
        if self.snapshot_id is None:
            return MISSING
        if self.max_age_days is not None and self.age_days is not None and self.age_days > self.max_age_days:
            return STALE
        return FRESH

    @property
    def is_gap(self) -> bool:
        return self.state != FRESH

    @property
    def label(self) -> str:
        dataset = DATASETS.get(self.dataset)
        return str(dataset.label) if dataset else self.dataset

    @property
    def department(self) -> str:
        dataset = DATASETS.get(self.dataset)
        return str(Department(dataset.department).label) if dataset else ""

    @property
    def field(self) -> str:
        return reason_field(self.dataset)

    def describe(self) -> str:
        """One line for the report and the case: the dataset and what was wrong with it."""
        if self.state == MISSING:
            text = _("%(dataset)s (%(department)s): no data received") % {"dataset": self.label, "department": self.department}
        elif self.state == STALE:
            text = _("%(dataset)s (%(department)s): data of %(date)s, %(age)d days old (limit %(limit)d days)") % {
                "dataset": self.label, "department": self.department, "date": self.taken_on.isoformat(),
                "age": self.age_days, "limit": self.max_age_days}
        else:
            text = _("%(dataset)s (%(department)s): data of %(date)s") % {
                "dataset": self.label, "department": self.department, "date": self.taken_on.isoformat()}
        if self.reason:
            text += " — " + _("reason given: %(reason)s") % {"reason": self.reason}
        return text

    def as_dict(self) -> dict:
        row = asdict(self)
        row["taken_on"] = self.taken_on.isoformat() if self.taken_on else None
        row["state"] = self.state
        return row

    @classmethod
    def from_dict(cls, row: dict) -> "DatasetCoverage":
        taken_on = row.get("taken_on")
        return cls(dataset=row.get("dataset", ""), snapshot_id=row.get("snapshot_id"),
                   taken_on=dt.date.fromisoformat(taken_on) if taken_on else None, age_days=row.get("age_days"),
                   max_age_days=row.get("max_age_days"), records=int(row.get("records") or 0),
                   members=int(row.get("members") or 0), reason=row.get("reason") or "")


def assess_coverage(snapshots: dict, *, as_of: dt.date, limits: dict, findings) -> list[DatasetCoverage]:
    """Pure: `snapshots` {dataset: (snapshot id, taken on)} read by the run, `limits` {parameter
    key: days}, `findings` the household's (dicts with `source` and `person_id`)."""
    records: dict = {}
    people: dict = {}
    for f in findings:
        source = f.get("source")
        records[source] = records.get(source, 0) + 1
        people.setdefault(source, set()).add(f.get("person_id"))
    out = []
    for code in read_datasets():
        limit = limits.get(DATASETS[code].freshness_parameter)
        snapshot = snapshots.get(code)
        if snapshot is None:
            out.append(DatasetCoverage(code, max_age_days=limit))
            continue
        snapshot_id, taken_on = snapshot
        out.append(DatasetCoverage(code, snapshot_id=snapshot_id, taken_on=taken_on, age_days=(as_of - taken_on).days,
                                   max_age_days=limit, records=records.get(code, 0), members=len(people.get(code, ()))))
    return out


def limits_for(area_code: str, as_of: dt.date) -> dict:
    """{parameter key: days} in force for the area in the run's month."""
    values = parameters_for(DIBAO, area_code, as_of.replace(day=1))
    return {key: values.get(key) for key in {d.freshness_parameter for d in DATASETS.values()}}


def run_snapshots(run) -> dict:
    """{dataset: (snapshot id, taken on)} of the snapshots the run read."""
    ids = [i for i in (run.snapshots or {}).values() if i]
    return {s: (pk, taken_on) for pk, s, taken_on in Snapshot.objects.filter(pk__in=ids).values_list("id", "dataset", "taken_on")}


def coverage_of(run, area_code: str, findings) -> list[DatasetCoverage]:
    """The coverage of one household's report in `run` (findings: selectors.findings_for_household)."""
    return assess_coverage(run_snapshots(run), as_of=run.as_of, limits=limits_for(area_code, run.as_of), findings=findings)


def gaps(coverage) -> list[DatasetCoverage]:
    return [c for c in coverage if c.is_gap]


def is_complete(coverage) -> bool:
    return not gaps(coverage)


def require_reasons(coverage, reasons: dict | None) -> list[DatasetCoverage]:
    """The sign-off's rule: a reason for each missing or out-of-date dataset. Returns the coverage
    with the reasons; a dataset that is there and fresh takes none (a reason given for it is
    refused, never dropped). ValidationError naming the first field without a reason
    (`details.fields`: every one) otherwise."""
    reasons = reasons or {}
    unknown = sorted(set(reasons) - set(read_datasets()))
    if unknown:
        raise ValidationError(_("No such dataset: %(code)s.") % {"code": unknown[0]}, field="reasons")
    out = []
    errors = {}
    for c in coverage:
        if not c.is_gap:
            if (reasons.get(c.dataset) or "").strip():     # said of data that was there: refused, not dropped
                raise ValidationError(_("%(dataset)s was there and current: it needs no reason.") % {"dataset": c.label},
                                      field=c.field, code="reason_not_needed")
            out.append(replace(c, reason=""))
            continue
        reason = clean_text(reasons.get(c.dataset) or "", field=c.field, max_length=REASON_MAX_LENGTH)
        if not reason:
            errors[c.field] = (_("No data was received from this dataset: say why the report may be signed without it.")
                               if c.state == MISSING else
                               _("This dataset's data is out of date: say why the report may be signed with it."))
        out.append(replace(c, reason=reason))
    if errors:
        first = next(iter(errors))
        missing = [c for c in out if c.field in errors]
        raise ValidationError(
            _("Give a reason for each dataset that is missing or out of date (%(n)d): %(datasets)s.")
            % {"n": len(missing), "datasets": ", ".join(c.label for c in missing)},
            field=first, code="reason_required", details={"fields": errors})
    return out
