"""Supporters of a special-hardship applicant (issue 3; POLICY.md §2, SH-2021 art. 8): recorded by
the town on the case (service, page with htmx, API), read by the rule, shown line by line in the
breakdown; refused for the wrong role, the wrong area, the wrong program and after the town
opinion."""
from __future__ import annotations

import pytest

from safetynet.cases import services
from safetynet.cases.models import Case, Supporter
from safetynet.cases.supporters import record_supporter, remove_supporter, supporter_facts
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.registry.services import create_household
from tests.cases_helpers import D, new_id, walk

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def lone_elder(posts, village):
    """A 75-year-old living alone with no income (special hardship if no supporter can support him)."""
    return create_household(actor=posts.worker, area_code=village.code, address="五保户", registration_type="urban",
                            members=[{"name": "孙五保", "id_number": new_id(D(1950, 5, 5)), "relation_to_head": "head",
                                      "work_ability": "none"}])


@pytest.fixture
def sh_case(posts, lone_elder, clock, standards):
    return walk(posts, lone_elder, clock, to="accepted", program="special_hardship")


def to_opinion(posts, case, clock):
    """Survey, manual verification and the town opinion: the rule runs on the supporters recorded."""
    walk_rest = {k: True for k in ("eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing")}
    from tests.cases_helpers import investigators

    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="独居", signed_by_household=True, daily_activities=walk_rest)
    services.record_manual_verification(actor=posts.verifier, case_id=case.pk, summary="无收入")
    return services.give_town_opinion(actor=posts.worker, case_id=case.pk)


def lines(case) -> list[str]:
    return [line["item"] for line in case.outcome["breakdown"]]


# --- the service and the rule -----------------------------------------------------------------

@pytest.mark.django_db
def test_an_able_supporter_makes_the_person_ineligible_with_the_reason_in_the_breakdown(posts, sh_case, clock):
    from safetynet.core.models import AuditEvent

    son = record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙大", relation="child",
                           id_number=new_id(D(1975, 3, 3)), note="在县城务工")
    assert son.birth_date.year == 1975 and son.inability == "none" and son.recorded_by == posts.worker.username
    event = AuditEvent.objects.get(action="cases.record_supporter")
    assert event.object_id == str(sh_case.pk) and event.after["inability"] == "none"
    assert son.id_number not in str(event.after)            # the ledger keeps the reason, not the identity

    case = to_opinion(posts, sh_case, clock)
    assert case.proposed_eligible is False and case.next_action == "refuse"
    assert "孙大 (child) is able to support." in case.outcome["reasons"]
    assert "Supporter 孙大 (child): able to support" in lines(case)
    rule = next(line["rule"] for line in case.outcome["breakdown"] if line["item"].startswith("Supporter 孙大"))
    assert "Measures for Identifying Persons in Special Hardship, art. 8" in rule and "60" in rule and "70" in rule


@pytest.mark.django_db
def test_supporters_unable_for_a_listed_reason_leave_the_person_eligible(posts, sh_case, clock):
    record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙二", relation="child", inability="imprisoned",
                     note="判决书")
    record_supporter(actor=posts.worker, case_id=sh_case.pk, name="李氏", relation="spouse", inability="dibao_elderly",
                     birth_date=D(1952, 1, 1))
    record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙三", relation="child", inability="disabled_low_means",
                     disability_type="physical", disability_grade=1)
    case = to_opinion(posts, sh_case, clock)
    assert case.proposed_eligible is True and case.proposed_amount > 0
    breakdown = lines(case)
    assert "Supporter 孙二 (child): unable, serving a prison sentence" in breakdown
    assert "Supporter 李氏 (spouse): unable, a dibao recipient aged 73" in breakdown
    assert "Supporter 孙三 (child): unable, physical disability grade 1 with low income and assets" in breakdown
    assert "No supporter able to support: every supporter is unable" in breakdown


@pytest.mark.django_db
def test_a_reason_the_facts_do_not_bear_out_is_found_able(posts, sh_case, clock):
    """A dibao recipient aged 50 is not one of the unable (only from 60): the rule says so."""
    record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙四", relation="child", inability="dibao_elderly",
                     id_number=new_id(D(1975, 6, 1)))
    case = to_opinion(posts, sh_case, clock)
    assert case.proposed_eligible is False and "Supporter 孙四 (child): able to support" in lines(case)


@pytest.mark.django_db
def test_bad_supporter_input_is_refused_naming_the_field(posts, sh_case):
    cases = [
        (dict(name="", relation="child"), "name"),
        (dict(name="孙大", relation="cousin"), "relation"),
        (dict(name="孙大", relation="child", inability="rich"), "inability"),
        (dict(name="孙大", relation="child", id_number="130123197001011234"), "id_number"),
        (dict(name="孙大", relation="child", inability="elderly_low_means"), "birth_date"),      # age-bound, no age
        (dict(name="孙大", relation="child", inability="disabled_low_means", disability_type="physical"), "disability_grade"),
        (dict(name="孙大", relation="child", id_number=new_id(D(1975, 3, 3)), birth_date=D(1980, 1, 1)), "birth_date"),
        (dict(name="孙五保", relation="other", id_number=sh_case.snapshot["members"][0]["id_number"]), "id_number"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as caught:
            record_supporter(actor=posts.worker, case_id=sh_case.pk, **kwargs)
        assert caught.value.field == field, (kwargs, caught.value.message)
    assert not Supporter.objects.exists()


@pytest.mark.django_db
def test_the_same_id_number_again_corrects_the_supporter(posts, sh_case):
    number = new_id(D(1975, 3, 3))
    first = record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙大", relation="child", id_number=number)
    again = record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙大", relation="child", id_number=number,
                             inability="missing")
    assert again.pk == first.pk and Supporter.objects.get().inability == "missing"
    remove_supporter(actor=posts.worker, case_id=sh_case.pk, supporter_id=first.pk)
    assert not Supporter.objects.exists()


@pytest.mark.django_db
def test_only_survey_posts_in_the_area_record_supporters(posts, sh_case, make_actor):
    for actor in (posts.cadre, posts.leader, posts.county_leader, posts.inspector, posts.grid):
        with pytest.raises(PermissionDenied):
            record_supporter(actor=actor, case_id=sh_case.pk, name="孙大", relation="child")
    with pytest.raises(NotFound):
        record_supporter(actor=posts.other_worker, case_id=sh_case.pk, name="孙大", relation="child")
    row = record_supporter(actor=posts.officer, case_id=sh_case.pk, name="孙大", relation="child")   # the county may too
    with pytest.raises(NotFound):
        remove_supporter(actor=posts.other_worker, case_id=sh_case.pk, supporter_id=row.pk)
    with pytest.raises(PermissionDenied):
        remove_supporter(actor=posts.cadre, case_id=sh_case.pk, supporter_id=row.pk)
    assert Supporter.objects.count() == 1


@pytest.mark.django_db
def test_supporters_only_on_special_hardship_and_before_the_town_opinion(posts, sh_case, poor_household, clock):
    dibao = walk(posts, poor_household, clock, to="accepted")
    with pytest.raises(ValidationError) as caught:
        record_supporter(actor=posts.worker, case_id=dibao.pk, name="孙大", relation="child")
    assert caught.value.field == "program"
    to_opinion(posts, sh_case, clock)
    with pytest.raises(Conflict) as caught:
        record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙大", relation="child")
    assert caught.value.code == "supporters_closed"


@pytest.mark.django_db
def test_supporters_sent_with_the_survey_are_kept_on_the_case(posts, sh_case, clock):
    from tests.cases_helpers import investigators

    services.record_survey(actor=posts.worker, case_id=sh_case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="有子女", signed_by_household=True,
                           daily_activities={k: True for k in ("eating", "dressing", "bed_transfer", "toileting",
                                                               "walking_indoors", "bathing")},
                           supporters=[{"name": "孙大", "relation": "child", "inability": "missing"}])
    assert [s.name for s in Case.objects.get(pk=sh_case.pk).supporters.all()] == ["孙大"]
    assert supporter_facts(Supporter.objects.all())[0].missing is True


# --- the page -------------------------------------------------------------------------------

@pytest.mark.django_db
def test_case_page_records_a_supporter_in_place(posts, sh_case, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(pk=posts.worker.user_id))
    page = client.get(f"/cases/{sh_case.pk}/").content.decode()
    assert 'data-testid="supporters"' in page and 'data-testid="supporter-form"' in page
    url = f"/cases/{sh_case.pk}/supporters/"
    answer = client.post(url, {"name": "孙大", "relation": "child", "inability": "imprisoned", "note": "判决书"}, **HTMX)
    body = answer.content.decode()
    assert answer.status_code == 200 and "<html" not in body and "孙大" in body and 'data-verdict="unable"' in body
    bad = client.post(url, {"name": "孙二", "relation": "child", "inability": "elderly_low_means"}, **HTMX)
    assert bad.status_code == 422 and 'value="孙二"' in bad.content.decode()     # kept as typed, the error beside it
    row = Supporter.objects.get()
    removed = client.post(f"/cases/{sh_case.pk}/supporters/{row.pk}/remove/")
    assert removed.status_code == 302 and removed["Location"].endswith(f"/cases/{sh_case.pk}/#supporters")
    assert not Supporter.objects.exists()


@pytest.mark.django_db
def test_case_page_supporters_refused_for_wrong_role_and_area(posts, sh_case, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    url = f"/cases/{sh_case.pk}/supporters/"
    client.force_login(users.get(pk=posts.cadre.user_id))
    assert 'data-testid="supporter-form"' not in client.get(f"/cases/{sh_case.pk}/").content.decode()
    assert client.post(url, {"name": "孙大", "relation": "child"}).status_code == 403
    client.force_login(users.get(pk=posts.other_worker.user_id))
    assert client.post(url, {"name": "孙大", "relation": "child"}).status_code == 404
    assert not Supporter.objects.exists()


# --- the API --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_api_supporters(posts, sh_case, poor_household, clock, client):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    url = f"/api/v1/cases/{sh_case.pk}/supporters"
    client.force_login(users.get(pk=posts.worker.user_id))
    number = new_id(D(1975, 3, 3))
    made = client.post(url, {"name": "孙大", "relation": "child", "id_number": number}, content_type="application/json")
    assert made.status_code == 201, made.content
    body = made.json()
    born = f"{number[6:10]}-{number[10:12]}-{number[12:14]}"                      # from the ID number
    assert body["inability"] == "none" and body["birth_date"] == born and body["id_number"] != number   # masked
    listed = client.get(url)
    assert listed.status_code == 200 and [s["name"] for s in listed.json()] == ["孙大"]
    bad = client.post(url, {"name": "孙二", "relation": "child", "inability": "dibao_elderly"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "birth_date"
    dibao = walk(posts, poor_household, clock, to="accepted")
    wrong_program = client.post(f"/api/v1/cases/{dibao.pk}/supporters", {"name": "孙二", "relation": "child"},
                                content_type="application/json")
    assert wrong_program.status_code == 422
    assert client.delete(f"{url}/{body['id']}").status_code == 204 and not Supporter.objects.exists()

    client.force_login(users.get(pk=posts.cadre.user_id))
    assert client.post(url, {"name": "孙大", "relation": "child"}, content_type="application/json").status_code == 403
    assert client.get(url).status_code == 200                              # the village reads the case
    client.force_login(users.get(pk=posts.other_worker.user_id))
    assert client.post(url, {"name": "孙大", "relation": "child"}, content_type="application/json").status_code == 404
    assert client.get(url).status_code == 404
    assert not Supporter.objects.exists()


@pytest.mark.django_db
def test_a_supporter_recorded_meanwhile_makes_a_step_on_the_older_list_stale(posts, sh_case, clock):
    """A town opinion computed on the list as it was must not land after the list changed."""
    from safetynet.cases.errors import StaleCase

    walk_rest = {k: True for k in ("eating", "dressing", "bed_transfer", "toileting", "walking_indoors", "bathing")}
    from tests.cases_helpers import investigators

    services.record_survey(actor=posts.worker, case_id=sh_case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="独居", signed_by_household=True, daily_activities=walk_rest)
    services.record_manual_verification(actor=posts.verifier, case_id=sh_case.pk, summary="无收入")
    seen = Case.objects.get(pk=sh_case.pk).version
    record_supporter(actor=posts.worker, case_id=sh_case.pk, name="孙大", relation="child", id_number=new_id(D(1975, 3, 3)))
    with pytest.raises(StaleCase):
        services.give_town_opinion(actor=posts.worker, case_id=sh_case.pk, version=seen)
    assert Case.objects.get(pk=sh_case.pk).status == "verified"
