"""Close-relative filings (POLICY.md §1 step 2): a staff member's sibling applies → the case is
flagged, the county must visit, and neither the staff member nor anyone in their town decides."""
from __future__ import annotations

import pytest

from safetynet.cases import services
from safetynet.cases.closerelatives import find_close_relatives
from safetynet.cases.errors import ConflictOfInterest, StepMissing
from safetynet.cases.models import Case
from safetynet.core.errors import PermissionDenied
from safetynet.registry.services import create_household, link_kinship
from safetynet.workforce.services import end_staff_identity, register_staff_identity
from tests.conftest import TOWN
from tests.cases_helpers import D, investigators, new_id, walk


@pytest.fixture
def town_staff(posts, village):
    """A town worker of 正定镇 (with a login), registered in the registry in a household of their
    own, whose sibling heads the applying household."""
    number = new_id(D(1978, 4, 4))
    home = create_household(actor=posts.worker, area_code=village.code, address="干部家", registration_type="urban",
                            members=[{"name": "张干部", "id_number": number, "relation_to_head": "head"}])
    identity = register_staff_identity(actor=posts.officer, name="张干部", id_number=number, area_code=TOWN,
                                       kind="town_staff", user_id=posts.worker.user_id)
    return identity, home


def _delegate_to_towns(system, county):
    from safetynet.programs.services import set_parameter

    set_parameter(actor=system, program_code="dibao", key="confirmation_delegated", area_code=county.code, value=True,
                  effective_from=D(2025, 9, 1), reason="县民政局授权乡镇确认")


def test_staff_members_sibling_is_flagged(posts, poor_household, clock, standards, town_staff, system, county):
    identity, home = town_staff
    link_kinship(actor=posts.worker, person_id=poor_household.head_id, relation="sibling", relative_id=home.head_id)
    _delegate_to_towns(system, county)
    case = walk(posts, poor_household, clock, to="accepted")
    assert case.is_close_relative and case.county_visit_required
    [match] = case.close_relative_matches
    assert match["staff_name"] == "张干部" and match["relation"] == "sibling" and match["staff_town"] == TOWN
    assert match["member_person_id"] == poor_household.head_id

    walk_rest = [
        lambda: services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(),
                                       investigators=investigators(), findings="困难", signed_by_household=True),
        lambda: services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="无异常"),
        lambda: services.give_town_opinion(actor=posts.worker, case_id=case.pk),
        lambda: services.publish_notice(actor=posts.worker, case_id=case.pk),
    ]
    for step in walk_rest:
        step()
    clock.advance(7)
    services.close_notice(actor=posts.worker, case_id=case.pk)
    case.refresh_from_db()
    assert case.decider_level == "town"       # delegated, yet not to this town for this case
    assert case.next_action == "record_county_visit"

    # The county's own visit is required before anyone may confirm.
    with pytest.raises(StepMissing, match="county's own home visit"):
        services.confirm_case(actor=posts.officer, case_id=case.pk)
    # A town cannot record the county's visit.
    with pytest.raises(PermissionDenied):
        services.record_county_visit(actor=posts.worker, case_id=case.pk, conducted_on=clock(),
                                     investigators=investigators(), findings="入户", signed_by_household=True)
    services.record_county_visit(actor=posts.officer, case_id=case.pk, conducted_on=clock(),
                                 investigators=investigators(), findings="县级入户核查属实", signed_by_household=True)
    # The staff member's town colleague (the town leader, confirmation delegated) cannot confirm...
    with pytest.raises(ConflictOfInterest) as error:
        services.confirm_case(actor=posts.leader, case_id=case.pk)
    assert error.value.status == 403
    # ... nor refuse, nor the staff member himself.
    with pytest.raises(ConflictOfInterest):
        services.refuse_case(actor=posts.leader, case_id=case.pk, reasons="x")
    assert Case.objects.get(pk=case.pk).status == "notice_closed"
    # The county can.
    services.confirm_case(actor=posts.officer, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == "confirmed"


def test_a_county_staff_member_cannot_decide_a_relatives_case(posts, poor_household, clock, standards, village):
    number = new_id(D(1960, 2, 2))
    home = create_household(actor=posts.worker, area_code=village.code, address="科长家", registration_type="urban",
                            members=[{"name": "王科长", "id_number": number, "relation_to_head": "head"}])
    register_staff_identity(actor=posts.officer, name="王科长", id_number=number, area_code="130123",
                            kind="county_staff", user_id=posts.officer.user_id)
    link_kinship(actor=posts.worker, person_id=poor_household.head_id, relation="parent", relative_id=home.head_id)
    case = walk(posts, poor_household, clock, to="notice_closed")
    assert case.is_close_relative and case.close_relative_matches[0]["staff_town"] == ""
    services.record_county_visit(actor=posts.officer, case_id=case.pk, conducted_on=clock(),
                                 investigators=investigators(), findings="属实", signed_by_household=True)
    with pytest.raises(ConflictOfInterest):
        services.confirm_case(actor=posts.officer, case_id=case.pk)
    services.confirm_case(actor=posts.county_leader, case_id=case.pk)


def test_a_village_committee_member_in_the_household_is_found(posts, clock, standards, village):
    number = new_id(D(1966, 6, 6))
    household = create_household(actor=posts.worker, area_code=village.code, address="村委家", registration_type="urban",
                                 members=[{"name": "赵委员", "id_number": number, "relation_to_head": "head"}])
    register_staff_identity(actor=posts.worker, name="赵委员", id_number=number, area_code=village.code,
                            kind="village_committee")
    [match] = find_close_relatives(household)
    assert match.relation == "self" and match.staff_kind == "village_committee" and match.staff_town == TOWN


def test_no_match_without_kinship_or_after_the_staff_member_leaves(posts, poor_household, clock, standards, town_staff):
    identity, home = town_staff
    assert find_close_relatives(poor_household) == []
    link_kinship(actor=posts.worker, person_id=poor_household.head_id, relation="sibling", relative_id=home.head_id)
    assert len(find_close_relatives(poor_household)) == 1
    end_staff_identity(actor=posts.officer, identity_id=identity.pk)
    assert find_close_relatives(poor_household) == []


def test_detection_is_four_queries(posts, poor_household, clock, standards, town_staff, django_assert_num_queries):
    # members, their kinship, the staff's declared relatives among them, the staff (issue 18 part 3)
    identity, home = town_staff
    link_kinship(actor=posts.worker, person_id=poor_household.head_id, relation="sibling", relative_id=home.head_id)
    with django_assert_num_queries(4):
        assert len(find_close_relatives(poor_household)) == 1
