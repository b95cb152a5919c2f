"""Adding groups and grids, renaming: success, wrong role, wrong area, bad input."""
from __future__ import annotations

import pytest

from tests.conftest import COUNTY, TOWN


def test_groups_and_grids_take_the_next_free_number(officer, village):
    from safetynet.areas.models import Area
    from safetynet.areas.services import create_area
    from safetynet.core.models import AuditEvent

    first = create_area(actor=officer, parent=village.code, name="一组")
    second = create_area(actor=officer, parent=village.code, name="二组")
    assert (first.code, first.level, first.parent_id) == (village.code + "001", "group", village.code)
    assert second.code == village.code + "002"
    explicit = create_area(actor=officer, code=village.code + "005", name="五组")
    assert explicit.level == "group"
    assert create_area(actor=officer, parent=village.code, name="三组").code == village.code + "003"
    grid = create_area(actor=officer, parent=first.code, name="一网格")
    assert (grid.code, grid.level) == (first.code + "001", "grid")
    assert Area.objects.filter(parent=village).count() == 4
    assert AuditEvent.objects.filter(action="areas.create").count() == 5


@pytest.mark.parametrize("parent_kind", ["town", "county", "grid"])
def test_groups_only_under_villages_and_grids_only_under_groups(officer, village, parent_kind):
    from safetynet.areas.services import create_area
    from safetynet.core.errors import ValidationError

    parent = {"town": TOWN, "county": COUNTY}.get(parent_kind)
    if parent_kind == "grid":
        group = create_area(actor=officer, parent=village.code, name="一组")
        parent = create_area(actor=officer, parent=group.code, name="网格").code
    with pytest.raises(ValidationError):
        create_area(actor=officer, parent=parent, name="新")


def test_villages_are_not_added_by_hand(officer):
    from safetynet.areas.services import create_area
    from safetynet.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        create_area(actor=officer, code=TOWN + "990", name="自建村", urban_rural_class="220")
    assert caught.value.field == "code"


@pytest.mark.parametrize("kwargs,field", [
    ({"name": ""}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "一组", "urban_rural_class": "220"}, "urban_rural_class"),
])
def test_bad_input(officer, village, kwargs, field):
    from safetynet.areas.services import create_area
    from safetynet.core.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        create_area(actor=officer, parent=village.code, **kwargs)
    assert caught.value.field == field


def test_taken_code_and_mismatched_parent(officer, village, other_village):
    from safetynet.areas.services import create_area
    from safetynet.core.errors import ValidationError

    create_area(actor=officer, code=village.code + "001", name="一组")
    with pytest.raises(ValidationError):
        create_area(actor=officer, code=village.code + "001", name="一组")
    with pytest.raises(ValidationError):
        create_area(actor=officer, code=village.code + "002", parent=other_village.code, name="二组")


@pytest.mark.parametrize("role", ["town_worker", "village_cadre", "grid_worker", "inspector", "county_leader"])
def test_other_roles_may_not_add_or_rename(county, village, make_actor, role):
    from safetynet.areas.services import create_area, rename_area
    from safetynet.core.errors import PermissionDenied

    actor = make_actor(role, village.code)
    with pytest.raises(PermissionDenied):
        create_area(actor=actor, parent=village.code, name="一组")
    with pytest.raises(PermissionDenied):
        rename_area(actor=actor, code=village.code, name="新名")


def test_outside_the_area_is_not_found(county, village, other_village, make_actor):
    from safetynet.areas.services import create_area, rename_area
    from safetynet.core.errors import NotFound

    officer_of_a_village = make_actor("county_officer", village.code)  # odd but legal: scope is the village
    with pytest.raises(NotFound):
        create_area(actor=officer_of_a_village, parent=other_village.code, name="一组")
    with pytest.raises(NotFound):
        rename_area(actor=officer_of_a_village, code=other_village.code, name="新名")
    with pytest.raises(NotFound):
        rename_area(actor=officer_of_a_village, code=TOWN, name="新名")  # its own ancestor


def test_rename_in_place(officer, village):
    from safetynet.areas.models import Area
    from safetynet.areas.services import rename_area
    from safetynet.core.errors import NotFound, ValidationError
    from safetynet.core.models import AuditEvent

    rename_area(actor=officer, code=village.code, name="  新名村  ")
    assert Area.objects.get(code=village.code).name == "新名村"
    event = AuditEvent.objects.get(action="areas.rename")
    assert (event.before, event.after) == ({"name": village.name}, {"name": "新名村"})
    rename_area(actor=officer, code=village.code, name="新名村")  # no change, no event
    assert AuditEvent.objects.filter(action="areas.rename").count() == 1
    with pytest.raises(ValidationError):
        rename_area(actor=officer, code=village.code, name=" ")
    with pytest.raises(NotFound):
        rename_area(actor=officer, code=COUNTY + "999", name="无")  # in scope by prefix, but missing


def test_next_child_code_runs_out(officer, village):
    from safetynet.areas.models import Area
    from safetynet.areas.services import create_area, next_child_code
    from safetynet.core.errors import ValidationError

    Area.objects.bulk_create([Area(code=f"{village.code}{n:03d}", name=f"{n}组", level="group", parent=village) for n in range(1, 1000)])
    with pytest.raises(ValidationError):
        next_child_code(village)
    with pytest.raises(ValidationError):
        create_area(actor=officer, parent=village.code, name="千组")
