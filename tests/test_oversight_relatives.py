"""The close-relative register (issue 18 part 3): declarations counted by acceptance like a registry
kinship link, the comparison with the registry, and the sweep that files old applications and
enrollments; denial by role and by area."""
from __future__ import annotations

import pytest

from safetynet.cases.closerelatives import find_close_relatives
from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.oversight import relatives
from safetynet.oversight.models import CloseRelativeFiling
from safetynet.registry.services import create_household, link_kinship
from safetynet.workforce import relatives as register
from safetynet.workforce.models import DeclaredRelative
from safetynet.workforce.services import register_staff_identity
from tests.cases_helpers import D, make_poor_household, new_id, walk
from tests.conftest import COUNTY, TOWN


@pytest.fixture
def cadre_identity(posts, village):
    """A village committee member without a login (the town records what they declare)."""
    return register_staff_identity(actor=posts.officer, name="王委员", id_number=new_id(D(1975, 2, 2)),
                                   area_code=village.code, kind="village_committee")


@pytest.fixture
def worker_identity(posts):
    """The town worker's own staff identity (with the login), registered in the registry too."""
    number = new_id(D(1980, 8, 8))
    return register_staff_identity(actor=posts.officer, name="赵干部", id_number=number, area_code=TOWN,
                                   kind="town_staff", user_id=posts.worker.user_id)


def _declare(actor, identity, household, **kw):
    head = household.head
    return register.declare_relative(actor=actor, staff_identity_id=identity.pk, name=head.name,
                                     id_number=head.id_number, relation=kw.get("relation", "sibling"),
                                     declared_on=D(2025, 9, 22))


def test_a_declared_relative_counts_at_acceptance_like_a_kinship_link(posts, clock, standards, village, cadre_identity):
    household = make_poor_household(posts.worker, village.code)
    assert find_close_relatives(household) == []
    # The head is the cadre's child: the cadre is the head's parent.
    _declare(posts.worker, cadre_identity, household, relation="child")
    [match] = find_close_relatives(household)
    assert (match.member_person_id, match.staff_identity_id, match.relation) == (household.head_id, cadre_identity.pk, "parent")
    case = walk(posts, household, clock, to="accepted")
    assert case.is_close_relative and case.county_visit_required
    assert case.close_relative_matches[0]["staff_name"] == "王委员"


def test_a_withdrawn_declaration_no_longer_counts(posts, village, cadre_identity):
    household = make_poor_household(posts.worker, village.code)
    declared = _declare(posts.worker, cadre_identity, household)
    register.withdraw_declaration(actor=posts.worker, declaration_id=declared.pk, reason="登记错误", on=D(2025, 9, 23))
    assert find_close_relatives(household) == []
    with pytest.raises(Conflict):
        register.withdraw_declaration(actor=posts.worker, declaration_id=declared.pk, reason="again", on=D(2025, 9, 23))


def test_declaring_checks_the_id_number_the_relation_and_duplicates(posts, village, cadre_identity):
    household = make_poor_household(posts.worker, village.code)
    with pytest.raises(ValidationError) as bad_id:
        register.declare_relative(actor=posts.worker, staff_identity_id=cadre_identity.pk, name="某人",
                                  id_number="130123199001011234", relation="sibling", declared_on=D(2025, 9, 22))
    assert bad_id.value.field == "id_number"
    with pytest.raises(ValidationError) as bad_relation:
        register.declare_relative(actor=posts.worker, staff_identity_id=cadre_identity.pk, name="某人",
                                  id_number=household.head.id_number, relation="cousin", declared_on=D(2025, 9, 22))
    assert bad_relation.value.field == "relation"
    _declare(posts.worker, cadre_identity, household)
    with pytest.raises(Conflict):
        _declare(posts.worker, cadre_identity, household)


def test_who_may_declare(posts, make_actor, village, cadre_identity, worker_identity):
    household = make_poor_household(posts.worker, village.code)
    # The staff member himself, from his own post, for his own identity.
    own = _declare(posts.worker, worker_identity, household)
    assert own.recorded_by_id == posts.worker.user_id
    # A village cadre's post holds no register permission: not for another's identity.
    with pytest.raises(PermissionDenied):
        _declare(posts.cadre, cadre_identity, household)
    # Another town's worker: the cadre is outside its area (404, as if not there).
    with pytest.raises(NotFound):
        _declare(posts.other_worker, cadre_identity, household)
    # Inspectors write nothing but findings, even for their own identity.
    inspector = make_actor("inspector", COUNTY)
    mine = register_staff_identity(actor=posts.officer, name="钱督查", id_number=new_id(D(1970, 1, 1)), area_code=COUNTY,
                                   kind="county_staff", user_id=inspector.user_id)
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        _declare(inspector, mine, household)
    assert AuditEvent.objects.count() == before and DeclaredRelative.objects.filter(staff_identity=mine).count() == 0


def test_the_comparison_lists_undeclared_links_and_unlinked_declarations_by_town(posts, village, other_village):
    number = new_id(D(1979, 3, 3))
    home = create_household(actor=posts.worker, area_code=village.code, address="干部家", registration_type="urban",
                            members=[{"name": "孙干部", "id_number": number, "relation_to_head": "head"}])
    identity = register_staff_identity(actor=posts.officer, name="孙干部", id_number=number, area_code=TOWN, kind="town_staff")
    linked = make_poor_household(posts.worker, village.code)
    declared_only = make_poor_household(posts.worker, village.code)
    link_kinship(actor=posts.worker, person_id=home.head_id, relation="sibling", relative_id=linked.head_id)
    _declare(posts.worker, identity, declared_only)
    [town] = relatives.compare_register(posts.officer)
    assert town.code == TOWN
    [row] = town.staff
    assert [x["id_number"] for x in row.undeclared] == [linked.head.id_number]
    assert [d.id_number for d in row.unlinked] == [declared_only.head.id_number]
    # Once declared, the link is no longer a difference.
    _declare(posts.worker, identity, linked)
    [town] = relatives.compare_register(posts.officer)
    assert town.staff[0].undeclared == []
    # Another town's post sees none of it.
    assert relatives.compare_register(posts.other_worker) == []


def test_the_sweep_files_old_cases_and_enrollments_once(posts, clock, standards, village, cadre_identity):
    household = make_poor_household(posts.worker, village.code)
    case = walk(posts, household, clock)                 # confirmed before anything was declared
    assert not case.is_close_relative
    other = make_poor_household(posts.worker, village.code)
    walk(posts, other, clock, to="accepted")             # no relative of staff: never filed
    _declare(posts.worker, cadre_identity, household)
    result = relatives.sweep_close_relatives(actor=posts.officer, county_code=COUNTY, on=clock())
    assert result.new_filings == 1 and result.found_later == 1
    [filing] = CloseRelativeFiling.objects.all()
    assert (filing.case_id, filing.enrollment_id, filing.staff_identity_id) == (case.pk, case.enrollments.get().pk,
                                                                                 cadre_identity.pk)
    assert not filing.at_acceptance and filing.relation == "sibling"
    again = relatives.sweep_close_relatives(actor=posts.officer, county_code=COUNTY, on=clock())
    assert again.new_filings == 0 and CloseRelativeFiling.objects.count() == 1
    # Scoped reads: the county and the town see it, another town does not.
    assert list(relatives.filings_in_scope(posts.worker)) == [filing]
    assert list(relatives.filings_in_scope(posts.other_worker)) == []


def test_the_sweep_is_refused_by_role_and_area(posts):
    with pytest.raises(PermissionDenied):
        relatives.sweep_close_relatives(actor=posts.inspector, county_code=COUNTY, on=D(2025, 9, 22))
    with pytest.raises(NotFound):
        relatives.sweep_close_relatives(actor=posts.worker, county_code=COUNTY, on=D(2025, 9, 22))
    with pytest.raises(NotFound):
        relatives.sweep_close_relatives(actor=posts.officer, county_code="130124", on=D(2025, 9, 22))


def test_the_pages(posts, clock, standards, village, cadre_identity, login):
    household = make_poor_household(posts.worker, village.code)
    walk(posts, household, clock)
    client = login(posts.worker)
    response = client.post("/oversight/relatives/register/", {
        "staff_identity": cadre_identity.pk, "name": household.head.name, "id_number": household.head.id_number,
        "relation": "sibling"})
    assert response.status_code == 302, response.content.decode()[:500]
    assert DeclaredRelative.objects.filter(staff_identity=cadre_identity, is_active=True).count() == 1
    bad = client.post("/oversight/relatives/register/", {"staff_identity": cadre_identity.pk, "name": "某人",
                                                         "id_number": "123", "relation": "sibling"})
    assert bad.status_code == 422 and 'value="某人"' in bad.content.decode()
    client = login(posts.officer)
    assert client.post("/oversight/relatives/sweep/", {"county": COUNTY}).status_code == 302
    page = client.get("/oversight/relatives/")
    assert page.status_code == 200 and 'data-found-later="1"' in page.content.decode()
    assert client.get("/oversight/relatives/comparison/").status_code == 200
    assert client.get("/oversight/relatives/register/").status_code == 200
    # The town of the filing sees its own; another town's list is empty.
    assert 'data-found-later="1"' in login(posts.worker).get("/oversight/relatives/").content.decode()
    assert 'data-found-later="1"' not in login(posts.other_worker).get("/oversight/relatives/").content.decode()
    # Anyone's own page; the inspector reads the register but may not sweep.
    assert login(posts.cadre).get("/oversight/relatives/mine/").status_code == 200
    assert login(posts.inspector).get("/oversight/relatives/").status_code == 200
    assert login(posts.inspector).post("/oversight/relatives/sweep/", {"county": COUNTY}).status_code == 403


def test_the_api(posts, village, cadre_identity, api):
    household = make_poor_household(posts.worker, village.code)
    client = api(posts.worker)
    made = client.post("/api/v1/oversight/relatives/declarations", {
        "staff_identity": cadre_identity.pk, "name": household.head.name, "id_number": household.head.id_number,
        "relation": "spouse"}, content_type="application/json")
    assert made.status_code == 201, made.content
    assert made.json()["id_number"] == household.head.id_number          # a town worker sees ID numbers whole
    listed = client.get("/api/v1/oversight/relatives/declarations").json()
    assert listed["count"] == 1
    assert api(posts.inspector).get("/api/v1/oversight/relatives/declarations").json()["items"][0]["id_number"] != \
        household.head.id_number                                          # masked for an inspector
    refused = api(posts.other_worker).post(f"/api/v1/oversight/relatives/declarations/{made.json()['id']}/withdraw",
                                           {"reason": "x"}, content_type="application/json")
    assert refused.status_code == 404
    done = api(posts.worker).post(f"/api/v1/oversight/relatives/declarations/{made.json()['id']}/withdraw",
                                  {"reason": "离婚"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["active"] is False
    sweep = api(posts.officer).post("/api/v1/oversight/relatives/sweeps", {"county": COUNTY},
                                    content_type="application/json")
    assert sweep.status_code == 200 and sweep.json()["county"] == COUNTY
    assert api(posts.officer).get("/api/v1/oversight/relatives/comparison").status_code == 200
    assert api(posts.officer).get("/api/v1/oversight/relatives/filings").status_code == 200
