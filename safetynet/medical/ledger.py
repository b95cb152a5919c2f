"""A person's medical assistance year, and the settlements of an area (issue 20; POLICY.md §4).

Reads only, each through the post's scope (`core.scoping.in_scope`; a person or settlement
outside it answers 404):
- `find_people`: people of the area by ID number or name (or their beginning), as the registry
  searches them; ID numbers masked unless the post may see them whole.
- `person_ledger`: for a year, each settlement of the person (one-stop at an institution, or a
  manual reimbursement through its case; reversed ones kept and marked), the year's totals as
  the `PersonYear` row holds them (the row every settlement locks), what assistance went out
  month by month, and the categories the person qualifies under today with each one's terms for
  the year and what is left of its annual cap (cap − the year's assistance, never below 0).
- `settlements_in_scope` and `export_settlements`: the area's settlements, filtered by
  institution, month settled, category and status; the export is an .xlsx made for the request.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook

from safetynet.cases import clocks
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.masking import mask_id_number
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import normalise_text
from safetynet.registry.models import Person
from safetynet.registry.selectors import VIEW_ID_NUMBER, search_persons

from .models import Institution, MedicalCategory, PersonYear, Settlement, SettlementSource, SettlementStatus
from .qualification import PersonRef, qualifications
from .rules import Terms
from .terms import categories_for, terms_for

VIEW = "medical.view"
ZERO = Decimal("0.00")
FIRST_YEAR, LAST_YEAR = 2000, 2100
SEARCH_LIMIT = 50


def shown_id_number(actor: Actor, number: str) -> str:
    """The whole number for a post allowed to see it, else masked (DESIGN.md §5)."""
    return number if actor.can(VIEW_ID_NUMBER) else mask_id_number(number)


def checked_year(value, *, field: str = "year") -> int:
    text = normalise_text(value)
    if not (text.isdigit() and len(text) == 4 and FIRST_YEAR <= int(text) <= LAST_YEAR):
        raise ValidationError(_("The year is from %(first)s to %(last)s.") % {"first": FIRST_YEAR, "last": LAST_YEAR},
                              field=field)
    return int(text)


# ---- people ------------------------------------------------------------------------------------

@dataclass
class PersonRow:
    person: Person
    id_number: str          # as the post may see it


def find_people(actor: Actor, q: str) -> list[PersonRow]:
    """People of the post's area whose ID number or name begins with `q` (nothing for an empty q)."""
    actor.require(VIEW)
    q = normalise_text(q)[:50]
    if not q:
        return []
    rows = search_persons(actor, q).select_related("area", "household")[:SEARCH_LIMIT]
    return [PersonRow(person=p, id_number=shown_id_number(actor, p.id_number)) for p in rows]


def get_person(actor: Actor, person_id) -> Person:
    actor.require(VIEW)
    try:
        pk = int(person_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    person = in_scope(Person.objects.select_related("household", "area"), actor).filter(pk=pk).first()
    if person is None:
        raise NotFound(_("Not found."))
    return person


# ---- the ledger --------------------------------------------------------------------------------

@dataclass
class Standing:
    """A category the person qualifies under today, its terms for the year and the cap left."""

    code: str
    category: MedicalCategory
    evidence: dict
    terms: Terms | None
    remaining_cap: Decimal | None


@dataclass
class Ledger:
    person: Person
    id_number: str
    year: int
    settlements: list[Settlement]
    eligible_total: Decimal
    assistance_total: Decimal
    settlement_count: int
    months: list[Decimal]            # live assistance by month settled, January first
    standings: list[Standing] = field(default_factory=list)
    on: dt.date | None = None

    @property
    def reversed_count(self) -> int:
        return sum(1 for s in self.settlements if s.status == SettlementStatus.REVERSED)


def _month_index(settlement: Settlement, year: int) -> int:
    """The month a settlement's assistance shows in: the month it was settled (a bill of `year`
    settled after the year ends shows in December, one settled before it in January)."""
    day = settlement.settled_on
    if day.year > year:
        return 11
    if day.year < year:
        return 0
    return day.month - 1


def category_names(area_code: str) -> dict[str, str]:
    """{code: name in the reader's language} of the county's categories, retired ones too (a
    settlement names the category it applied, even one retired since)."""
    names = {row.code: row.name for row in MedicalCategory.objects.filter(county__isnull=True)}
    names.update({row.code: row.name for row in MedicalCategory.objects.filter(county_id=area_code[:6])})
    return names


def person_ledger(actor: Actor, person_id, year) -> Ledger:
    """The person's medical assistance in `year` (see the module's docstring)."""
    person = get_person(actor, person_id)
    year = checked_year(year)
    settlements = list(Settlement.objects.filter(person=person, year=year).select_related("institution", "case")
                       .order_by("settled_at", "id"))
    person_year = PersonYear.objects.filter(person=person, year=year).first()
    months = [ZERO] * 12
    for row in settlements:
        if row.status == SettlementStatus.SETTLED:
            months[_month_index(row, year)] += row.assistance
    assistance_total = person_year.assistance_total if person_year else ZERO
    on = clocks.today()
    found = qualifications([PersonRef(person.pk, person.household_id, person.area_id)], on)[person.pk]
    in_use = categories_for(person.area_id)
    terms = terms_for(person.area_id, year, found.keys()) if found else {}
    standings = []
    for code, evidence in found.items():
        t = terms.get(code)
        remaining = max(ZERO, t.annual_cap - assistance_total) if t is not None else None
        standings.append(Standing(code=code, category=in_use[code], evidence=evidence, terms=t, remaining_cap=remaining))
    standings.sort(key=lambda s: (s.category.position, s.code))
    return Ledger(person=person, id_number=shown_id_number(actor, person.id_number), year=year, settlements=settlements,
                  eligible_total=person_year.eligible_total if person_year else ZERO, assistance_total=assistance_total,
                  settlement_count=person_year.settlements if person_year else 0, months=months, standings=standings,
                  on=on)


# ---- settlements of an area --------------------------------------------------------------------

def settlements_in_scope(actor: Actor, *, institution_id=None, month: dt.date | None = None, category: str = "",
                         status: str = "", source: str = "") -> QuerySet[Settlement]:
    """The settlements of people in the post's area, newest first."""
    actor.require(VIEW)
    qs = in_scope(Settlement.objects.select_related("institution", "person", "area", "case"), actor)
    if institution_id not in (None, ""):
        try:
            qs = qs.filter(institution_id=int(institution_id))
        except (TypeError, ValueError):
            raise ValidationError(_("Choose an institution from the list."), field="institution") from None
    if month is not None:
        end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        qs = qs.filter(settled_on__gte=month, settled_on__lt=end)
    category = normalise_text(category).lower()
    if category:
        qs = qs.filter(category_code=category)
    if status:
        if status not in SettlementStatus.values:
            raise ValidationError(_("Choose settled or reversed."), field="status")
        qs = qs.filter(status=status)
    if source:
        if source not in SettlementSource.values:
            raise ValidationError(_("Choose one-stop or manual reimbursement."), field="source")
        qs = qs.filter(source=source)
    return qs.order_by("-settled_at", "-id")


def institutions_settled(actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the institutions with settlements in the post's area: the filter's choices."""
    actor.require(VIEW)
    ids = in_scope(Settlement.objects.filter(institution__isnull=False), actor).values("institution_id").distinct()
    return list(Institution.objects.filter(pk__in=ids).order_by("code").values_list("pk", "name"))


@dataclass
class Export:
    filename: str
    content: bytes
    rows: int


def export_settlements(*, actor: Actor, institution_id=None, month: dt.date | None = None, category: str = "",
                       status: str = "", source: str = "") -> Export:
    """The filtered settlements as an .xlsx workbook (ID numbers as the post may see them)."""
    qs = settlements_in_scope(actor, institution_id=institution_id, month=month, category=category, status=status,
                              source=source).order_by("settled_at", "id")
    names = category_names(actor.area_code) if len(actor.area_code) >= 6 else {}
    statuses = dict(SettlementStatus.choices)
    header = [_("Settled on"), _("Institution code"), _("Institution"), _("Visit number"), _("Case"), _("Name"),
              _("ID number"), _("Area"), _("Year"), _("Admitted"), _("Discharged"), _("Total cost"),
              _("Paid by basic medical insurance"), _("Paid by critical-illness insurance"), _("Eligible self-paid"),
              _("Ineligible self-paid"), _("Category applied"), _("Rate"), _("Deductible applied"), _("Assistance"),
              _("The patient pays"), _("Status"), _("Reversed on"), _("Reason for the reversal")]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Settlements"))
    sheet.append(header)
    count = 0
    for s in qs.iterator(chunk_size=1000):
        sheet.append([
            s.settled_on, s.institution.code if s.institution else "",
            s.institution.name if s.institution else str(_("manual reimbursement")), s.visit_number,
            s.case_id or "", s.person.name, shown_id_number(actor, s.person.id_number), s.area.name, s.year,
            s.admitted_on, s.discharged_on, s.total_cost, s.basic_insurance, s.critical_illness, s.eligible_self_paid,
            s.ineligible_self_paid, names.get(s.category_code, s.category_code), s.rate, s.deductible_applied,
            s.assistance, s.patient_pays, str(statuses.get(s.status, s.status)), s.reversed_on or "",
            s.reversal_reason])
        count += 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    suffix = f"-{month:%Y%m}" if month else ""
    return Export(filename=f"medical-settlements-{actor.area_code or 'all'}{suffix}.xlsx", content=buffer.getvalue(),
                  rows=count)
