"""Close-relative detection at acceptance (POLICY.md §1 step 2; MLG-2021 art. 11, 20; MLG-2012 art. 14).

An application is a close-relative filing when a member of the household is, or is a close
relative (spouse, parent, child, sibling, grandparent, grandchild — registry.KinshipRelation) of,
a county or town staff member who handles or supervises assistance, or a village committee
member: anyone registered as an active `workforce.StaffIdentity`.

Matching is by ID number, the one key the registry and the staff register share: the members'
own numbers (a staff member in the household), the numbers of every person the registry's
kinship links to a member (kinship is stored in both directions, so a relative registered in
another household is found too), and the relatives the staff declared themselves
(`workforce.DeclaredRelative`, in force): a declared relative counts exactly like a kinship link,
whether or not the registry knows the link. Four queries whatever the number of households.

A match files the case separately (`Case.is_close_relative`), forces the county's own home visit,
and bars from confirming it the related staff member and anyone whose post is in that staff
member's town (`conflicts_of_interest`).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from safetynet.core.statements import Prepared, rows_by_key
from safetynet.registry.models import INVERSE_KINSHIP, Kinship, Person
from safetynet.workforce.models import DeclaredRelative, StaffIdentity

# Read on every acceptance, for all the cases of the step at once: prepared once per connection
# (core/statements.py).
_LIVING_MEMBERS = Prepared(lambda household_id: Person.objects.filter(household_id=household_id, is_deceased=False)
                           .order_by().values_list("id", "name", "id_number"))
_KIN_OF_EACH = Prepared(lambda person_ids: Kinship.objects.filter(person_id__in=person_ids).order_by()
                        .values_list("person_id", "relation", "relative__id_number"))
_ACTIVE_STAFF_EACH = Prepared(lambda numbers: StaffIdentity.objects.filter(is_active=True, id_number__in=numbers).order_by()
                              .values_list("id_number", "id", "name", "kind", "area_id", "user_id"))
# Declarations in force naming one of these people, of active staff: (relative's number, relation
# of the relative to the staff member, the staff member's number).
_DECLARED_EACH = Prepared(lambda numbers: DeclaredRelative.objects.filter(
    is_active=True, staff_identity__is_active=True, id_number__in=numbers).order_by()
    .values_list("id_number", "relation", "staff_identity__id_number"))


@dataclass(frozen=True)
class Match:
    member_person_id: int
    member_name: str
    relation: str                 # "self" (the member is staff) or the staff member's relation to the member
    staff_identity_id: int
    staff_name: str
    staff_kind: str
    staff_area: str
    staff_user_id: int | None
    staff_town: str               # "" for county staff

    def as_dict(self) -> dict:
        return asdict(self)


def find_close_relatives(household, *, members: list[dict] | None = None) -> list[Match]:
    """Every (member, staff) pair that makes this household's application a close-relative filing.

    `members` may be given as [{"person_id", "name", "id_number"}] (a case snapshot's members)
    to save the query for them. `household` is a Household or its id."""
    if members is None:
        members = [{"person_id": pid, "name": name, "id_number": number} for pid, name, number
                   in _LIVING_MEMBERS.rows(getattr(household, "pk", household))]
    return find_close_relatives_of([members])[0]


def find_close_relatives_of(member_lists: list[list[dict]]) -> list[list[Match]]:
    """`find_close_relatives` for many households at once, each given by its members
    ([{"person_id", "name", "id_number"}]): their kinship and the staff among them and their
    relatives read in two statements for all. One list of matches per household, in order."""
    people = sorted({m["person_id"] for members in member_lists for m in members})
    kin = rows_by_key(_KIN_OF_EACH, people) if people else {}
    numbers = {m["id_number"] for members in member_lists for m in members}
    numbers |= {number for rows in kin.values() for _relation, number in rows}
    member_numbers = sorted({m["id_number"] for members in member_lists for m in members if m["id_number"]})
    declared = {number: rows for number, rows in rows_by_key(_DECLARED_EACH, member_numbers).items() if rows} \
        if member_numbers else {}
    numbers |= {staff_number for rows in declared.values() for _relation, staff_number in rows}
    numbers = sorted(n for n in numbers if n)
    staff = {number: rows[0] for number, rows in rows_by_key(_ACTIVE_STAFF_EACH, numbers).items() if rows} \
        if numbers else {}
    return [_matches(members, kin, staff, declared) for members in member_lists]


def _matches(members: list[dict], kin: dict, staff: dict, declared: dict | None = None) -> list[Match]:
    if not members or not staff:
        return []
    by_id = {m["person_id"]: m for m in members}
    # (member person id, relation of the other person to the member, the other's ID number)
    links: list[tuple[int, str, str]] = [(m["person_id"], "self", m["id_number"]) for m in members]
    links += [(person_id, relation, number) for person_id in sorted(by_id) for relation, number in kin.get(person_id, ())]
    # A member declared as a staff member's <relation>: the staff member is the member's inverse.
    links += [(m["person_id"], str(INVERSE_KINSHIP[relation]), staff_number) for m in members
              for relation, staff_number in (declared or {}).get(m["id_number"], ())]
    matches: list[Match] = []
    seen = set()
    for person_id, relation, number in links:
        identity = staff.get(number)
        if identity is None or (person_id, identity[0]) in seen:
            continue
        pk, name, kind, area, user_id = identity
        seen.add((person_id, pk))
        matches.append(Match(
            member_person_id=person_id, member_name=by_id[person_id]["name"], relation=relation,
            staff_identity_id=pk, staff_name=name, staff_kind=kind, staff_area=area, staff_user_id=user_id,
            staff_town=StaffIdentity(area_id=area, kind=kind).town_code,
        ))
    return matches


def conflicts_of_interest(matches: list[dict], *, user_id: int | None, area_code: str) -> list[dict]:
    """The matches that bar this actor from deciding: the related staff member himself, or a post
    in the related staff member's town (POLICY.md §1 step 2)."""
    barred = []
    for match in matches:
        if user_id is not None and match.get("staff_user_id") == user_id:
            barred.append(match)
        elif match.get("staff_town") and area_code.startswith(match["staff_town"]):
            barred.append(match)
    return barred
