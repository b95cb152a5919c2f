"""Identity resolution (issue 4, part 3): department records with a legacy 15-digit ID, a wrong
check digit or no ID matched to persons with Splink and proposed, never applied; a county
officer confirms or rejects; confirmed links count in later runs (batch and online); the pages."""
from __future__ import annotations

import datetime as dt

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from tests.conftest import OTHER_TOWN, TOWN


@pytest.fixture
def demo_world(db, vdata):
    """The demo county (2,500 people) with its department snapshots: two planted records of each
    identity kind (legacy, bad_check, no_id) and two decoys (same name and address as a member,
    another birth date), as the ground truth says."""
    from safetynet.areas.actors import system_actor
    from safetynet.demo.generator import generate_demo_county
    from safetynet.verification.demo_data import build_verification_demo

    generate_demo_county(actor=system_actor(), people=2500, seed=11)
    return build_verification_demo(actor=system_actor(), seed=11, per_kind=2, controls=5)


def _record_key(planted) -> str:
    from safetynet.verification.identity import record_key

    return record_key(planted.record_id_number or None, planted.record_name, planted.record_birth_date)


def _truth(world, kind):
    return [p for p in world.planted if p.identity == kind]


def test_planted_records_are_proposed_and_near_misses_are_not(demo_world, officer):
    from safetynet.core.models import AuditEvent
    from safetynet.verification.identity import PROPOSE_THRESHOLD
    from safetynet.verification.identity_models import IdentityLink, IdentityProposal
    from safetynet.verification.identity_services import propose_identities
    from safetynet.verification.services import verification_service_actor

    made = propose_identities(actor=verification_service_actor(), county_code="130123")
    assert made.records == sum(len(_truth(demo_world, k)) for k in ("legacy", "bad_check", "no_id", "decoy"))
    proposals = {(p.record_key, p.person_id): p for p in IdentityProposal.objects.all()}
    for kind, id_kind in (("legacy", "legacy"), ("bad_check", "bad_check"), ("no_id", "missing")):
        planted = _truth(demo_world, kind)
        assert planted, kind
        for p in planted:
            proposal = proposals.get((_record_key(p), p.person_id))
            assert proposal is not None, (kind, p)
            assert proposal.id_kind == id_kind and proposal.dataset == "vehicles" and proposal.status == "proposed"
            assert proposal.match_probability >= PROPOSE_THRESHOLD
            assert proposal.compared["name"]["level"] == "same" and proposal.compared["birth_date"]["level"] == "same"
    legacy = _truth(demo_world, "legacy")[0]
    assert len(legacy.record_id_number) == 15
    assert proposals[(legacy.record_id_number, legacy.person_id)].compared["id_rest"]["level"] == "same"
    # the decoys (same name and address, another birth date) are not proposed at all
    decoys = {_record_key(p) for p in _truth(demo_world, "decoy")}
    assert decoys and not any(key in decoys for key, _person in proposals)
    # precision: every proposal is a planted record's own person
    expected = {(_record_key(p), p.person_id) for k in ("legacy", "bad_check", "no_id") for p in _truth(demo_world, k)}
    assert set(proposals) == expected
    assert not IdentityLink.objects.exists()   # proposed, never applied
    assert AuditEvent.objects.filter(action="verification.propose_identities").count() == 1

    again = propose_identities(actor=verification_service_actor(), county_code="130123")
    assert again.created == 0 and again.skipped == len(expected)
    assert IdentityProposal.objects.count() == len(expected)


def test_confirmed_links_count_in_the_next_runs(demo_world, officer, monkeypatch):
    """A legacy-ID car and a no-ID car are not the members' until confirmed; then the batch and the
    online report both find them and flag the vehicle; a rejected one stays out."""
    from safetynet.verification import services
    from safetynet.verification.identity_models import IdentityProposal
    from safetynet.verification.identity_services import (
        confirm_identity_proposal, propose_identities, reject_identity_proposal,
    )
    from safetynet.verification.models import Finding, HouseholdResult

    actor = services.verification_service_actor()
    legacy, no_id, bad = _truth(demo_world, "legacy")[0], _truth(demo_world, "no_id")[0], _truth(demo_world, "bad_check")[0]
    households = [legacy.household_id, no_id.household_id, bad.household_id]

    def flags(run):
        return {r.household_id: r.flags for r in HouseholdResult.objects.filter(run=run)}

    before = services.run_verification(actor=actor, kind="county", area_code="130123", household_ids=households)
    assert all("vehicle" not in f for f in flags(before).values())

    propose_identities(actor=actor, county_code="130123")
    for planted in (legacy, no_id):
        proposal = IdentityProposal.objects.get(record_key=_record_key(planted), person_id=planted.person_id)
        link = confirm_identity_proposal(actor=officer, proposal_id=proposal.pk, note="核对无误")
        assert link.person_id_number == planted.id_number
    rejected = IdentityProposal.objects.get(record_key=_record_key(bad), person_id=bad.person_id)
    reject_identity_proposal(actor=officer, proposal_id=rejected.pk, note="不是本人")

    after = services.run_verification(actor=actor, kind="county", area_code="130123", household_ids=households)
    result = flags(after)
    assert "vehicle" in result[legacy.household_id] and "vehicle" in result[no_id.household_id]
    assert "vehicle" not in result[bad.household_id]
    car = Finding.objects.get(run=after, household_id=legacy.household_id, item="vehicle")
    assert car.id_number == legacy.id_number and car.person_id == legacy.person_id
    assert car.record_key.endswith(legacy.record_id_number)

    # the online report reads the same links
    monkeypatch.setattr(services, "_authorized_case", lambda actor, household_id, case_id: None)
    online = services.verify_household(actor=actor, household_id=no_id.household_id)
    assert "vehicle" in online.result.flags
    assert any(f["item"] == "vehicle" and f["person_id"] == no_id.person_id for f in online.findings)
    untouched = services.verify_household(actor=actor, household_id=bad.household_id)
    assert "vehicle" not in untouched.result.flags


# --- decisions, on a hand-made proposal (no Splink needed) -------------------------------------

@pytest.fixture
def proposal(db, vdata, make_actor, county, village):
    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry.services import create_household
    from safetynet.verification.identity_models import IdentityProposal

    worker = make_actor("town_worker", TOWN)
    household = create_household(actor=worker, area_code=village.code, address="正定镇测试村 3 号", registration_type="rural",
                                 members=[{"name": "王建军", "relation_to_head": "head",
                                           "id_number": make_id_number("130123", dt.date(1962, 3, 9), 21, "male")}])
    person = household.members.get()

    def make(person=person, key="130123620309021"):
        return IdentityProposal.objects.create(
            dataset="vehicles", snapshot_id=1, record_key=key, id_kind="legacy", record_id_number=key,
            record_name=person.name, record_birth_date=person.birth_date, record_address=household.address,
            person=person, area_code=person.area_id, match_probability=0.999, match_weight=20.0,
            compared={"name": {"level": "same"}}, proposed_by="verification-service")
    p = make()
    p.make = make
    return p


def test_only_county_officers_in_their_area_decide(proposal, officer, make_actor):
    from safetynet.core.models import AuditEvent
    from safetynet.verification.identity_models import IdentityLink
    from safetynet.verification.identity_services import confirm_identity_proposal, reject_identity_proposal
    from safetynet.verification.services import verification_service_actor

    for actor in (make_actor("town_worker", TOWN), make_actor("town_leader", TOWN), make_actor("county_leader", "130123"),
                  make_actor("inspector", "130123"), verification_service_actor()):
        with pytest.raises(PermissionDenied):
            confirm_identity_proposal(actor=actor, proposal_id=proposal.pk)
        with pytest.raises(PermissionDenied):
            reject_identity_proposal(actor=actor, proposal_id=proposal.pk, note="no")
    with pytest.raises(NotFound):   # a county officer posted elsewhere does not see it
        confirm_identity_proposal(actor=make_actor("county_officer", OTHER_TOWN), proposal_id=proposal.pk)
    with pytest.raises(NotFound):
        confirm_identity_proposal(actor=officer, proposal_id=999999)
    assert not IdentityLink.objects.exists()

    with pytest.raises(ValidationError) as caught:
        reject_identity_proposal(actor=officer, proposal_id=proposal.pk, note="  ")
    assert caught.value.field == "note"

    link = confirm_identity_proposal(actor=officer, proposal_id=proposal.pk, note="户籍卡核对")
    proposal.refresh_from_db()
    assert proposal.status == "confirmed" and proposal.decided_by == officer.username and link.proposal_id == proposal.pk
    with pytest.raises(Conflict):
        confirm_identity_proposal(actor=officer, proposal_id=proposal.pk)
    with pytest.raises(Conflict):
        reject_identity_proposal(actor=officer, proposal_id=proposal.pk, note="late")
    event = AuditEvent.objects.get(action="verification.confirm_identity")
    assert event.username == officer.username and event.after["link"] == link.pk


def test_confirming_one_person_rejects_the_records_other_proposals(proposal, officer):
    from safetynet.core.idnumbers import make_id_number
    from safetynet.registry.models import Person
    from safetynet.verification.identity_services import confirm_identity_proposal

    twin = Person.objects.create(household=proposal.person.household, area_id=proposal.area_code, name=proposal.person.name,
                                 id_number=make_id_number("130123", dt.date(1962, 3, 9), 23, "male"), sex="male",
                                 birth_date=dt.date(1962, 3, 9), relation_to_head="sibling")
    other = proposal.make(person=twin)
    confirm_identity_proposal(actor=officer, proposal_id=proposal.pk)
    other.refresh_from_db()
    assert other.status == "rejected" and str(proposal.pk) in other.note


def test_proposal_pages(proposal, client_for, client):
    page = client_for("county_officer", "130123")
    response = page.get("/verification/identity/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "王建军" in body and "130123620309021" in body and f"/verification/identity/{proposal.pk}/confirm/" in body
    response = page.post(f"/verification/identity/{proposal.pk}/reject/", {"note": ""}, follow=True)
    assert response.status_code == 200
    proposal.refresh_from_db()
    assert proposal.status == "proposed"   # a reason is required: nothing changed
    response = page.post(f"/verification/identity/{proposal.pk}/confirm/", {"note": "ok"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "confirmed"

    client.logout()
    town = client_for("town_worker", TOWN)
    listing = town.get("/verification/identity/?status=confirmed")
    assert listing.status_code == 200
    assert "王建军" in listing.content.decode()   # the town's own person, read-only
    assert town.post(f"/verification/identity/{proposal.pk}/confirm/").status_code == 403
    client.logout()
    elsewhere = client_for("town_worker", OTHER_TOWN)
    assert "王建军" not in elsewhere.get("/verification/identity/?status=confirmed").content.decode()
