"""The supporters the registry already knows (issue 15 item 2; POLICY.md §2, SH-2021 art. 8).

A special-hardship applicant whose registry lists grown children is not a person with "no
supporter": the registry's kinship links (and, inside his own household, the relation to the
head) say who his relatives are, `programs.rules.legal_supporters` which of them the law binds to
support him, and each one's own household says what `programs.rules.supporter_inability` needs to
judge him: age and disability from the person, "low income and assets" from his household's
facts run through the dibao rule (per-capita income under the low-income margin, assets within
the limits), dibao or special-hardship support from the live enrollments. Missing, imprisoned or
incapacitated the registry does not know: the worker corrects the proposal on the case page.

Reads only; the caller has checked the case's scope. A relative may live in another area: his
facts are read for the rule, and the page shows no more of him than the supporters list does
(name, relation, masked ID number, the rule's verdict).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from safetynet.core.errors import SafetyNetError
from safetynet.enrollments.models import LIVE_STATUSES, Enrollment
from safetynet.programs import rules
from safetynet.programs.facts import SupporterFacts
from safetynet.registry.models import Household, Kinship, Person

from . import standards
from .models import Case, SupporterInability
from .snapshots import facts_from_snapshot, take_household_snapshot, village_is_urban

ADULT_AGE = 18   # full civil capacity at 18 (Civil Code art. 17): the law, not a local parameter

# How a member of the person's own household is related to him, from the two relations to the
# head (the person's, the member's): "the member is the person's …". Kinship links only join
# people of different households (registry.services.link_kinship), so this is the other half.
IN_HOUSEHOLD = {
    "head": {"spouse": "spouse", "child": "child", "parent": "parent", "grandchild": "grandchild",
             "grandparent": "grandparent", "sibling": "sibling"},
    "spouse": {"head": "spouse", "child": "child"},
    "parent": {"head": "child", "sibling": "child", "parent": "spouse", "grandchild": "grandchild"},
    "child": {"head": "parent", "spouse": "parent", "child": "sibling", "parent": "grandparent"},
}

# The rule's verdict (programs.rules.supporter_inability) as the reason a Supporter row records.
INABILITY_OF = {rules.U_SPECIAL_HARDSHIP: SupporterInability.SPECIAL_HARDSHIP, rules.U_DIBAO: SupporterInability.DIBAO_ELDERLY,
                rules.U_ELDERLY: SupporterInability.ELDERLY_LOW_MEANS, rules.U_DISABLED: SupporterInability.DISABLED_LOW_MEANS}


@dataclass
class Kin:
    """A relative the registry says is bound to support the person, with what the rule makes of him."""

    person_id: int
    name: str
    id_number: str
    birth_date: dt.date
    relation: str
    same_household: bool
    facts: SupporterFacts
    inability: str = SupporterInability.NONE
    why: object = None                     # the rule's reason he cannot support (a Phrase), or None
    per_capita_income: Decimal | None = None
    low_income_line: Decimal | None = None
    notes: list = field(default_factory=list)
    recorded: bool = False                 # already among the case's supporters (cases.supporters.proposed_supporters)

    def supporter(self) -> dict:
        """The Supporter row this proposal records (cases.supporters.save_supporter's input)."""
        disabled = self.inability == SupporterInability.DISABLED_LOW_MEANS
        return {"name": self.name, "id_number": self.id_number, "birth_date": self.birth_date, "relation": self.relation,
                "inability": self.inability, "disability_type": self.facts.disability_type if disabled else "",
                "disability_grade": self.facts.disability_grade if disabled else None,
                "note": (_("From the registry: ") + "; ".join(str(n) for n in self.notes))[:200]}


def _relatives(person: Person) -> list[tuple[Person, str, bool]]:
    """(relative, relation, same household) for the person's living relatives in the registry."""
    found = [(k.relative, k.relation, False) for k in
             Kinship.objects.filter(person_id=person.pk, relative__is_deceased=False)
             .select_related("relative__household").order_by("id")]
    mapping = IN_HOUSEHOLD.get(person.relation_to_head, {})
    for member in (Person.objects.filter(household_id=person.household_id, is_deceased=False).exclude(pk=person.pk)
                   .select_related("household").order_by("id")):
        relation = mapping.get(member.relation_to_head)
        if relation:
            found.append((member, relation, True))
    return found


def _household_means(household_ids: set[int], on_date: dt.date) -> dict[int, tuple]:
    """{household: (per-capita income, low-income line, low income and assets)} by the dibao rule
    on the household's facts now; (None, None, False) where no standard applies to its area."""
    out = {}
    for household in Household.objects.filter(pk__in=household_ids):
        try:
            is_urban = village_is_urban(household.area_id)
            facts = facts_from_snapshot(take_household_snapshot(household, is_urban=is_urban), on_date)
            params = standards.dibao_parameters(household.area_id, on_date, is_urban)
        except SafetyNetError:
            out[household.pk] = (None, None, False)
            continue
        outcome = rules.assess_dibao(facts, params)
        details = outcome.details
        line = details.get("margin_limit")
        if line is None:
            out[household.pk] = (None, None, False)
            continue
        per_capita = details["per_capita_income"]
        out[household.pk] = (per_capita, line, bool(details.get("assets_ok")) and per_capita < line)
    return out


def _supported(person_ids: list[int], household_ids: set[int]) -> tuple[set[int], set[int]]:
    """(people on dibao, people on special-hardship support) among these, by live enrollments."""
    live = Enrollment.objects.filter(status__in=LIVE_STATUSES)
    dibao_rows = live.filter(program_id="dibao", household_id__in=household_ids).values_list("household_id", "person_id")
    whole, alone = set(), set()
    for household_id, person_id in dibao_rows:
        (whole.add(household_id) if person_id is None else alone.add(person_id))
    people = Person.objects.filter(pk__in=person_ids).values_list("id", "household_id")
    dibao = {pid for pid, household_id in people if household_id in whole or pid in alone}
    hardship = set(live.filter(program_id="special_hardship", person_id__in=person_ids).values_list("person_id", flat=True))
    return dibao, hardship


def registry_supporters(case: Case, on_date: dt.date, *, person_id: int | None = None) -> list[Kin]:
    """The supporters the registry proposes for a special-hardship case's covered person (or
    `person_id`, an enrollment's), each judged by the rule with the parameters of the case's area
    on `on_date`."""
    person_id = person_id or case.covered_person_id or case.applicant_id
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        return []
    relatives = _relatives(person)
    bound = rules.legal_supporters(rules.age_on(person.birth_date, on_date),
                                   [(relation, rules.age_on(r.birth_date, on_date)) for r, relation, _same in relatives],
                                   adult_age=ADULT_AGE)
    relatives = [relatives[i] for i in bound]
    if not relatives:
        return []
    try:
        params = standards.special_hardship_parameters(case.area_id, on_date,
                                                       bool(case.snapshot.get("household", {}).get("is_urban")))
    except SafetyNetError:
        params = None
    households = {r.household_id for r, _relation, _same in relatives}
    means = _household_means(households, on_date)
    dibao, hardship = _supported([r.pk for r, _relation, _same in relatives], households)
    out = []
    for relative, relation, same in relatives:
        per_capita, line, low = means.get(relative.household_id, (None, None, False))
        facts = SupporterFacts(birth_date=relative.birth_date, name=relative.name, relation=relation,
                               is_special_hardship=relative.pk in hardship, is_dibao_recipient=relative.pk in dibao,
                               disability_type=relative.disability_type or "", disability_grade=relative.disability_grade,
                               low_income_and_assets=low, person_id=relative.pk)
        why = rules.supporter_inability(facts, on_date, params) if params is not None else None
        notes = [_("same household") if same else _("household %(address)s") % {"address": relative.household.address}]
        if per_capita is not None:
            notes.append(_("per-capita income ¥%(income)s (low-income line ¥%(line)s)") % {"income": f"{per_capita:,.2f}",
                                                                                         "line": f"{line:,.2f}"})
        if relative.pk in hardship:
            notes.append(_("on special hardship support"))
        elif relative.pk in dibao:
            notes.append(_("on dibao"))
        out.append(Kin(person_id=relative.pk, name=relative.name, id_number=relative.id_number,
                       birth_date=relative.birth_date, relation=relation, same_household=same, facts=facts,
                       inability=INABILITY_OF.get(why.msgid, SupporterInability.NONE) if why is not None else SupporterInability.NONE,
                       why=why, per_capita_income=per_capita, low_income_line=line, notes=notes))
    return out
