"""Supporters proposed from the registry (issue 15 item 2; POLICY.md §2, SH-2021 art. 8): a special-
hardship applicant whose registry lists four grown children is not "without supporters". The
relatives the law binds are proposed with their own households' facts and the rule's verdict on
each, the worker records the proposal in one action and corrects it, and an assessment with kin
in the registry but no supporter recorded is refused, naming them (the case's steps and the
re-assessment of an enrollment)."""
from __future__ import annotations

import pytest

from safetynet.cases import services
from safetynet.cases.models import Supporter
from safetynet.cases.supporters import proposed_supporters, record_proposed_supporters, set_supporter_reason
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.programs.rules import legal_supporters
from safetynet.registry.services import create_household, link_kinship, set_income_items
from tests.cases_helpers import D, investigators, new_id, walk

HTMX = {"HTTP_HX_REQUEST": "true"}
ALL_ABLE = {k: True for k in ("eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing")}


def _child(posts, village, parent, name, born, *, wages=None, disability=None):
    """A grown child in a household of his own, linked to the parent in the registry."""
    member = {"name": name, "id_number": new_id(born), "relation_to_head": "head"}
    if disability:
        member.update(disability_type=disability[0], disability_grade=disability[1])
    household = create_household(actor=posts.worker, area_code=village.code, address=f"{name}家",
                                 registration_type="urban", bank_account=f"62170000{born.year}0001", members=[member])
    if wages:
        set_income_items(actor=posts.worker, household_id=household.pk, items=[
            {"category": "wages", "monthly_amount": wages, "person_id": household.head_id, "description": "务工"}])
    link_kinship(actor=posts.worker, person_id=parent.head_id, relation="child", relative_id=household.head_id)
    return household


@pytest.fixture
def old_mother(posts, village):
    """A woman of 90 living alone with no income; her registry lists four grown children."""
    return create_household(actor=posts.worker, area_code=village.code, address="孙家老宅", registration_type="urban",
                            members=[{"name": "孙老太", "id_number": new_id(D(1935, 5, 5), sex="female"),
                                      "relation_to_head": "head", "work_ability": "none"}])


@pytest.fixture
def four_children(posts, village, old_mother, clock, standards):
    """孙一 (70, no income: unable at 70 with low income), 孙二 (65, his household on dibao), 孙三
    (physical disability grade 1, no income), 孙四 (55, wages ¥6,000 alone: able)."""
    _child(posts, village, old_mother, "孙一", D(1955, 1, 1))
    on_dibao = _child(posts, village, old_mother, "孙二", D(1960, 1, 1))
    walk(posts, on_dibao, clock)                                    # confirmed: a live dibao enrollment
    _child(posts, village, old_mother, "孙三", D(1966, 1, 1), disability=("physical", 1))
    _child(posts, village, old_mother, "孙四", D(1970, 1, 1), wages="6000.00")
    return old_mother


@pytest.fixture
def sh_case(posts, four_children, clock):
    return walk(posts, four_children, clock, to="accepted", program="special_hardship")


def _to_verified(posts, case, clock):
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="独居", signed_by_household=True, daily_activities=ALL_ABLE)
    services.record_manual_verification(actor=posts.officer, case_id=case.pk, summary="无收入")


# --- who the law binds (a pure rule) ------------------------------------------------------------

def test_who_is_bound_to_support():
    # An old person: spouse and grown children, not a minor grandchild nor a sibling.
    assert legal_supporters(80, [("spouse", 78), ("child", 50), ("child", 16), ("sibling", 75), ("grandchild", 20)], 18) == [0, 1]
    # With no child listed, grown grandchildren stand in.
    assert legal_supporters(80, [("grandchild", 25), ("grandchild", 12)], 18) == [0]
    # A minor: his parents; with no parent listed, grandparents and grown brothers and sisters.
    assert legal_supporters(10, [("parent", 40), ("grandparent", 66), ("sibling", 20)], 18) == [0]
    assert legal_supporters(10, [("grandparent", 66), ("sibling", 20), ("sibling", 15)], 18) == [0, 1]
    # An adult's parents are not bound to support him (they may be his to support).
    assert legal_supporters(40, [("parent", 70)], 18) == []


# --- the proposal and the refusal (services) -----------------------------------------------------

@pytest.mark.django_db
def test_the_registry_proposes_the_four_children_judged_on_their_own_households(posts, sh_case):
    kin = proposed_supporters(posts.worker, sh_case.pk)
    verdicts = {k.name: (k.relation, k.inability, str(k.why) if k.why else None) for k in kin}
    assert verdicts == {
        "孙一": ("child", "elderly_low_means", "aged 70 with low income and assets"),
        "孙二": ("child", "dibao_elderly", "a dibao recipient aged 65"),
        "孙三": ("child", "disabled_low_means", "physical disability grade 1 with low income and assets"),
        "孙四": ("child", "none", None),
    }
    assert not any(k.recorded for k in kin)
    with pytest.raises(NotFound):
        proposed_supporters(posts.other_worker, sh_case.pk)


@pytest.mark.django_db
def test_an_assessment_with_kin_in_the_registry_and_no_supporter_is_refused(posts, sh_case, clock):
    from safetynet.cases.models import Case
    from safetynet.cases.pages import preview_outcome

    _to_verified(posts, sh_case, clock)
    with pytest.raises(ValidationError) as refused:
        services.give_town_opinion(actor=posts.worker, case_id=sh_case.pk)
    assert refused.value.code == "supporters_not_recorded" and refused.value.field == "supporters"
    assert all(name in refused.value.message for name in ("孙一", "孙二", "孙三", "孙四"))
    case = Case.objects.get(pk=sh_case.pk)
    assert case.status == "verified" and case.outcome in (None, {})
    preview, error = preview_outcome(case)                  # the page says so beside the opinion form
    assert preview is None and "孙四" in error


@pytest.mark.django_db
def test_the_proposal_is_recorded_in_one_action_then_corrected_and_the_rule_runs_on_it(posts, sh_case, clock):
    with pytest.raises(PermissionDenied):
        record_proposed_supporters(actor=posts.cadre, case_id=sh_case.pk)
    with pytest.raises(NotFound):
        record_proposed_supporters(actor=posts.other_worker, case_id=sh_case.pk)
    assert not Supporter.objects.exists()
    rows = record_proposed_supporters(actor=posts.worker, case_id=sh_case.pk)
    assert [(r.name, r.relation, r.inability) for r in rows] == [
        ("孙一", "child", "elderly_low_means"), ("孙二", "child", "dibao_elderly"),
        ("孙三", "child", "disabled_low_means"), ("孙四", "child", "none")]
    assert rows[2].disability_type == "physical" and rows[2].disability_grade == 1 and rows[0].birth_date.year == 1955
    assert "registry" in rows[3].note
    with pytest.raises(Conflict):                            # nothing left to record
        record_proposed_supporters(actor=posts.worker, case_id=sh_case.pk)
    assert all(k.recorded for k in proposed_supporters(posts.worker, sh_case.pk))

    _to_verified(posts, sh_case, clock)
    case = services.give_town_opinion(actor=posts.worker, case_id=sh_case.pk)
    assert case.proposed_eligible is False and "孙四 (child) is able to support." in case.outcome["reasons"]


@pytest.mark.django_db
def test_the_worker_corrects_what_the_registry_does_not_know(posts, sh_case, clock):
    four = record_proposed_supporters(actor=posts.worker, case_id=sh_case.pk)
    able = four[3]
    with pytest.raises(PermissionDenied):
        set_supporter_reason(actor=posts.cadre, case_id=sh_case.pk, supporter_id=able.pk, inability="imprisoned")
    with pytest.raises(ValidationError) as bad:
        set_supporter_reason(actor=posts.worker, case_id=sh_case.pk, supporter_id=able.pk, inability="rich")
    assert bad.value.field == "inability"
    corrected = set_supporter_reason(actor=posts.worker, case_id=sh_case.pk, supporter_id=able.pk, inability="imprisoned")
    assert (corrected.name, corrected.id_number, corrected.inability) == (able.name, able.id_number, "imprisoned")
    assert Supporter.objects.count() == 4
    _to_verified(posts, sh_case, clock)
    case = services.give_town_opinion(actor=posts.worker, case_id=sh_case.pk)
    assert case.proposed_eligible is True
    assert "Supporter 孙四 (child): unable, serving a prison sentence" in [l["item"] for l in case.outcome["breakdown"]]


@pytest.mark.django_db
def test_a_reassessment_with_kin_and_no_supporter_is_refused(posts, old_mother, clock, standards, village):
    """An enrollment decided before the registry knew the children: its re-assessment is refused
    until the supporters are recorded (payments.reassessment through supporters.facts_for_case)."""
    from safetynet.enrollments import reassessment

    case = walk(posts, old_mother, clock, program="special_hardship")
    enrollment = case.enrollments.get()
    facts = reassessment.facts_in_force(enrollment)
    assert reassessment.assess(enrollment, facts, enrollment.start_month).eligible
    _child(posts, village, old_mother, "孙四", D(1970, 1, 1), wages="6000.00")
    with pytest.raises(ValidationError) as refused:
        reassessment.assess(enrollment, facts, enrollment.start_month)
    assert refused.value.code == "supporters_not_recorded" and "孙四" in refused.value.message


# --- the page -----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_supporters_card_offers_the_proposal_and_records_it_in_one_click(posts, sh_case, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(users.get(pk=posts.worker.user_id))
    page = client.get(f"/cases/{sh_case.pk}/").content.decode()
    card = page[page.index('data-testid="proposed-supporters"'):]
    assert all(name in card for name in ("孙一", "孙二", "孙三", "孙四")) and "Record these 4 supporters" in card
    assert "a dibao recipient aged 65" in card and card.count('data-proposed="new"') == 4
    url = f"/cases/{sh_case.pk}/supporters/proposed/"
    client.force_login(users.get(pk=posts.cadre.user_id))
    assert client.post(url, **HTMX).status_code == 403
    client.force_login(users.get(pk=posts.other_worker.user_id))
    assert client.post(url, **HTMX).status_code == 404
    assert not Supporter.objects.exists()
    client.force_login(users.get(pk=posts.worker.user_id))
    answer = client.post(url, **HTMX)
    body = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in body and Supporter.objects.count() == 4
    assert body.count('data-proposed="recorded"') == 4 and 'data-testid="record-proposed"' not in body
    assert body.count("data-supporter=") == 4
    again = client.post(url, **HTMX)
    assert again.status_code == 409 and Supporter.objects.count() == 4
    # The registry did not know 孙四 is in prison: the row's own select corrects him, nobody typed again.
    son = Supporter.objects.get(name="孙四")
    fixed = client.post(f"/cases/{sh_case.pk}/supporters/{son.pk}/reason/", {"inability": "imprisoned"}, **HTMX)
    assert fixed.status_code == 200 and "孙四 corrected" in fixed.content.decode()
    son.refresh_from_db()
    assert son.inability == "imprisoned" and son.id_number and son.birth_date
    client.force_login(users.get(pk=posts.other_worker.user_id))
    assert client.post(f"/cases/{sh_case.pk}/supporters/{son.pk}/reason/", {"inability": "none"}).status_code == 404


@pytest.mark.django_db
def test_the_api_lists_and_records_the_proposal(posts, sh_case, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    url = f"/api/v1/cases/{sh_case.pk}/supporters/proposed"
    client.force_login(users.get(pk=posts.worker.user_id))
    listed = client.get(url)
    assert listed.status_code == 200 and [k["name"] for k in listed.json()] == ["孙一", "孙二", "孙三", "孙四"]
    assert listed.json()[1]["inability"] == "dibao_elderly" and not listed.json()[1]["recorded"]
    assert "*" in listed.json()[0]["id_number"]
    client.force_login(users.get(pk=posts.cadre.user_id))
    assert client.post(url).status_code == 403
    client.force_login(users.get(pk=posts.worker.user_id))
    made = client.post(url)
    assert made.status_code == 201 and [s["name"] for s in made.json()] == ["孙一", "孙二", "孙三", "孙四"]
    assert client.post(url).status_code == 409


@pytest.mark.django_db
def test_a_batch_of_town_opinions_refuses_the_case_with_kin_and_no_supporter(posts, sh_case, clock, lone_elder_case):
    """The queue's ticks take each case through the same service: the one with kin unrecorded is
    refused with the reason, the other goes on."""
    from safetynet.cases.batch import take_steps
    from safetynet.cases.models import Case

    _to_verified(posts, sh_case, clock)
    _to_verified(posts, lone_elder_case, clock)
    results = {r.case_id: r for r in take_steps(actor=posts.worker, action="give_town_opinion",
                                                items=[{"case": sh_case.pk}, {"case": lone_elder_case.pk}])}
    assert not results[sh_case.pk].ok and results[sh_case.pk].error["code"] == "supporters_not_recorded"
    assert "孙四" in results[sh_case.pk].error["message"]
    assert results[lone_elder_case.pk].ok
    assert Case.objects.get(pk=sh_case.pk).status == "verified"
    assert Case.objects.get(pk=lone_elder_case.pk).status == "town_reviewed"


@pytest.fixture
def lone_elder_case(posts, village, clock, standards):
    household = create_household(actor=posts.worker, area_code=village.code, address="五保户", registration_type="urban",
                                 members=[{"name": "周五保", "id_number": new_id(D(1948, 5, 5)), "relation_to_head": "head"}])
    return walk(posts, household, clock, to="accepted", program="special_hardship")


@pytest.mark.django_db
def test_the_proposal_reads_in_chinese(posts, sh_case, client):
    from django.contrib.auth import get_user_model

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(get_user_model().objects.get(pk=posts.worker.user_id))
    page = client.get(f"/cases/{sh_case.pk}/").content.decode()
    assert "根据登记信息提出的义务人" in page and "录入这 4 名义务人" in page and "享受低保" in page


@pytest.mark.django_db
def test_a_relative_typed_before_without_his_id_number_is_not_proposed_twice(posts, sh_case):
    from safetynet.cases.supporters import record_supporter

    record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙四", relation="child", inability="missing")
    assert [k.name for k in proposed_supporters(posts.worker, sh_case.pk) if k.recorded] == ["孙四"]
    rows = record_proposed_supporters(actor=posts.worker, case_id=sh_case.pk)
    assert [r.name for r in rows] == ["孙一", "孙二", "孙三"] and Supporter.objects.count() == 4
