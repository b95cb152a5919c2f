"""Staff identities: registered with a valid ID number at the right level, in scope, once."""
from __future__ import annotations

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.workforce.models import StaffIdentity
from safetynet.workforce.selectors import staff_identities_in_scope
from safetynet.workforce.services import end_staff_identity, register_staff_identity
from tests.cases_helpers import new_id
from tests.conftest import OTHER_TOWN, TOWN


def test_register_a_town_staff_member_with_a_login(officer, worker):
    number = new_id()
    identity = register_staff_identity(actor=officer, name="刘干事", id_number=number, area_code=TOWN, kind="town_staff",
                                       user_id=worker.user_id)
    assert identity.town_code == TOWN and identity.user_id == worker.user_id and identity.is_active
    event = AuditEvent.objects.get(action="workforce.register_staff_identity")
    assert number not in str(event.after)          # the ledger keeps the number masked


def test_village_committee_member_without_a_login(worker, village):
    identity = register_staff_identity(actor=worker, name="村主任", id_number=new_id(), area_code=village.code,
                                       kind="village_committee")
    assert identity.user is None and identity.town_code == TOWN
    assert list(staff_identities_in_scope(worker)) == [identity]


def test_bad_input_and_denials(officer, worker, make_actor, village, other_village):
    with pytest.raises(ValidationError) as error:
        register_staff_identity(actor=officer, name="某", id_number="130123197001011234", area_code=TOWN, kind="town_staff")
    assert error.value.field == "id_number"
    with pytest.raises(ValidationError) as error:
        register_staff_identity(actor=officer, name="某", id_number=new_id(), area_code=village.code, kind="town_staff")
    assert error.value.field == "area"
    with pytest.raises(ValidationError) as error:
        register_staff_identity(actor=officer, name="", id_number=new_id(), area_code=TOWN, kind="town_staff")
    assert error.value.field == "name"
    with pytest.raises(ValidationError) as error:
        register_staff_identity(actor=officer, name="某", id_number=new_id(), area_code=TOWN, kind="mayor")
    assert error.value.field == "kind"
    with pytest.raises(PermissionDenied):
        register_staff_identity(actor=make_actor("village_cadre", village.code), name="某", id_number=new_id(),
                                area_code=village.code, kind="village_committee")
    with pytest.raises(NotFound):
        register_staff_identity(actor=worker, name="某", id_number=new_id(), area_code=other_village.code,
                                kind="village_committee")
    assert not StaffIdentity.objects.exists()


def test_one_active_identity_per_person(officer):
    number = new_id()
    first = register_staff_identity(actor=officer, name="甲", id_number=number, area_code=TOWN, kind="town_staff")
    with pytest.raises(Conflict):
        register_staff_identity(actor=officer, name="甲", id_number=number, area_code=OTHER_TOWN, kind="town_staff")
    end_staff_identity(actor=officer, identity_id=first.pk)
    second = register_staff_identity(actor=officer, name="甲", id_number=number, area_code=OTHER_TOWN, kind="town_staff")
    assert second.town_code == OTHER_TOWN
    assert list(staff_identities_in_scope(officer, active_only=False).order_by("id")) == [first, second]


def test_ending_outside_scope_is_404(officer, make_actor):
    identity = register_staff_identity(actor=officer, name="乙", id_number=new_id(), area_code=TOWN, kind="town_staff")
    with pytest.raises(NotFound):
        end_staff_identity(actor=make_actor("town_worker", OTHER_TOWN), identity_id=identity.pk)


def test_a_grid_worker_sits_at_a_grid_and_is_offered_for_its_households(worker, village):
    """Grid workers are staff the survey picker knows (issue 15 item 5): registered at their grid,
    offered as investigators for a household of that grid, refused at a village."""
    from safetynet.areas.models import Area, Level
    from safetynet.workforce.selectors import investigator_choices

    group = Area.objects.create(code=village.code + "001", name="一组", level=Level.GROUP, parent=village)
    grid = Area.objects.create(code=group.code + "001", name="一组第1网格", level=Level.GRID, parent=group)
    identity = register_staff_identity(actor=worker, name="网格员甲", id_number=new_id(), area_code=grid.code,
                                       kind="grid_worker")
    assert identity.get_kind_display() == "grid worker" and identity.town_code == TOWN
    offered, _own = investigator_choices(worker, grid.code)
    assert str(identity.pk) in {pk for pk, _label in offered}
    with pytest.raises(ValidationError) as error:
        register_staff_identity(actor=worker, name="网格员乙", id_number=new_id(), area_code=village.code, kind="grid_worker")
    assert error.value.field == "area"


def test_a_survey_may_not_name_another_towns_staff_member(worker, make_actor, village):
    """The picker offers the post's own register; a request naming another town's staff identity
    by its id (the API takes ids) is refused as no such staff member, as an unknown id is."""
    from safetynet.workforce.selectors import resolve_investigators

    other_town_worker = make_actor("town_worker", OTHER_TOWN)
    stranger = register_staff_identity(actor=other_town_worker, name="外镇干部", id_number=new_id(),
                                       area_code=OTHER_TOWN, kind="town_staff")
    colleague = register_staff_identity(actor=worker, name="本镇干部", id_number=new_id(), area_code=TOWN,
                                        kind="town_staff")
    with pytest.raises(ValidationError) as error:
        resolve_investigators([{"staff_identity_id": stranger.pk}, {"staff_identity_id": colleague.pk}], actor=worker)
    assert error.value.field == "investigators" and "No such staff member" in error.value.message
    assert [p["name"] for p in resolve_investigators([{"staff_identity_id": colleague.pk}], actor=worker)] == ["本镇干部"]
