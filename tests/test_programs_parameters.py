"""Parameters as rows with an area and a period: seeding, resolution (deepest area wins, the
period covering the month), set_parameter (history kept, denial by role and by area) and the
typed parameters the rules take."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from safetynet.areas.models import Area
from safetynet.core import refcache
from safetynet.core.audit import verify_chain
from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.programs import catalogue, selectors, services
from safetynet.programs.demo import seed_demo_standards
from safetynet.programs.models import Parameter, Program

COUNTY = "130123"
TOWN = "130123100"
START = dt.date(2021, 7, 1)
D = Decimal


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def rural_village(county):
    return county.__class__.objects.filter(code__startswith=TOWN, level="village", urban_rural_class="220").order_by("code").first()


@pytest.fixture
def urban_village(county):
    return county.__class__.objects.filter(code__startswith=COUNTY, level="village", urban_rural_class="111").order_by("code").first()


@pytest.fixture
def other_county(county):
    from safetynet.areas.models import Area

    other = Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    Area.objects.create(code="130124100", name="栾城镇", level="town", parent=other)
    return other


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def next_month(month: dt.date, n: int = 1) -> dt.date:
    year, index = divmod(month.month - 1 + n, 12)
    return dt.date(month.year + year, index + 1, 1)


# --- seeding ----------------------------------------------------------------------------------

def test_programs_and_national_defaults_are_seeded(db):
    assert set(Program.objects.values_list("code", flat=True)) == {"dibao", "special_hardship", "temporary", "discovery",
                                                                    "oversight", "workforce", "medical"}
    national = Parameter.objects.filter(area__isnull=True)
    expected = [s for s in catalogue.SPECS if s.default is not None]
    assert national.count() == len(expected)
    assert not national.filter(key__in=["urban_standard", "rural_standard"]).exists()
    assert set(national.values_list("effective_from", flat=True)) == {START}
    assert national.get(program_id="dibao", key="increment_ratio_elderly").typed_value == D("0.3")
    assert national.get(program_id="dibao", key="mandatory_deliberation").typed_value is False


def test_every_catalogued_key_has_a_label_type_and_source():
    for spec in catalogue.SPECS:
        assert spec.program in catalogue.PROGRAMS
        assert spec.type in catalogue.TYPE_LABELS
        assert "POLICY.md §" in spec.source
        assert str(spec.label)
        if spec.default is not None:
            assert catalogue.value_from_text(spec, catalogue.value_to_text(spec, spec.default)) == spec.default


# --- resolution ---------------------------------------------------------------------------------

def test_county_value_beats_national_and_village_inherits_it(standards, rural_village, system):
    services.set_parameter(actor=system, program_code="dibao", key="increment_ratio_elderly", area_code=COUNTY,
                           value="0.40", effective_from=START, reason="county rule")
    values = selectors.parameters_for("dibao", rural_village.code, dt.date(2026, 11, 15))
    assert values["rural_standard"] == D("720.00")
    assert values["urban_standard"] == D("900.00")
    assert values["increment_ratio_elderly"] == D("0.40")
    assert values["increment_ratio_minor"] == D("0.3")          # national
    assert selectors.parameters_for("dibao", None, dt.date(2026, 11, 1))["increment_ratio_elderly"] == D("0.3")
    resolved = selectors.resolve_parameters("dibao", rural_village.code, dt.date(2026, 11, 1))
    assert resolved["rural_standard"].area_name == "正定县"
    assert resolved["increment_ratio_minor"].is_national


def test_town_value_beats_county_value(standards, rural_village, system):
    services.set_parameter(actor=system, program_code="dibao", key="confirmation_delegated", area_code=TOWN,
                           value=True, effective_from=START, reason="delegated to 正定镇")
    assert selectors.parameters_for("dibao", rural_village.code, dt.date(2026, 1, 1))["confirmation_delegated"] is True
    assert selectors.parameters_for("dibao", "130123102", dt.date(2026, 1, 1))["confirmation_delegated"] is False


def test_resolution_takes_two_queries_then_none_in_the_same_transaction(standards, rural_village):
    refcache.clear()
    with CaptureQueriesContext(connection) as cold:
        selectors.special_hardship_parameters(rural_village.code, dt.date(2026, 11, 1))
    with CaptureQueriesContext(connection) as warm:
        selectors.special_hardship_parameters(rural_village.code, dt.date(2026, 11, 1))
    # The versions (once in a transaction), the area path and the month's parameter rows.
    assert len(cold) == 1 + 2
    assert len(warm) == 0
    # Another village of the county: its own area path, but the month's rows are not read again.
    other = Area.objects.filter(code__startswith=COUNTY, level="village").exclude(code=rural_village.code).first()
    with CaptureQueriesContext(connection) as neighbour:
        selectors.special_hardship_parameters(other.code, dt.date(2026, 11, 1))
    assert len(neighbour) == 1 and "areas_area" in neighbour[0]["sql"]


def test_versions_are_read_again_in_the_next_transaction(standards, rural_village):
    """A change committed by another process (no signal here) is seen from the next transaction on."""
    refcache.clear()
    before = refcache.current_tokens((refcache.PARAMETERS,))
    refcache.ReferenceVersion.objects.filter(name=refcache.PARAMETERS).delete()   # a queryset delete: no signal
    refcache.ReferenceVersion.objects.bulk_create([refcache.ReferenceVersion(name=refcache.PARAMETERS, token="elsewhere")])
    assert refcache.current_tokens((refcache.PARAMETERS,)) == before          # same transaction: as of its start
    connection.run_on_commit = []                                               # what a commit or rollback does
    assert refcache.current_tokens((refcache.PARAMETERS,)) == ("elsewhere",)


def test_a_cached_value_gives_way_to_a_change_at_once(standards, rural_village, system):
    month = dt.date(2027, 1, 1)
    before = selectors.dibao_parameters(rural_village.code, month).rural_standard
    services.set_parameter(actor=system, program_code="dibao", key="rural_standard", area_code=COUNTY,
                           value="999.00", effective_from=month, reason="raised")
    assert selectors.dibao_parameters(rural_village.code, month).rural_standard == D("999.00") != before


def test_a_rolled_back_change_leaves_the_committed_value(standards, rural_village, system):
    month = dt.date(2027, 1, 1)
    before = selectors.dibao_parameters(rural_village.code, month).rural_standard
    with pytest.raises(RuntimeError), transaction.atomic():
        services.set_parameter(actor=system, program_code="dibao", key="rural_standard", area_code=COUNTY,
                               value="999.00", effective_from=month, reason="raised, then rolled back")
        assert selectors.dibao_parameters(rural_village.code, month).rural_standard == D("999.00")
        raise RuntimeError
    assert selectors.dibao_parameters(rural_village.code, month).rural_standard == before


def test_a_change_from_month_m_applies_from_m_and_not_before(standards, rural_village, system):
    services.set_parameter(actor=system, program_code="dibao", key="rural_standard", area_code=COUNTY,
                           value="760.00", effective_from=dt.date(2026, 1, 1), reason="2026 standard")
    assert selectors.parameters_for("dibao", rural_village.code, dt.date(2025, 12, 31))["rural_standard"] == D("720.00")
    assert selectors.parameters_for("dibao", rural_village.code, dt.date(2026, 1, 1))["rural_standard"] == D("760.00")
    assert selectors.parameters_for("dibao", rural_village.code, dt.date(2030, 6, 1))["rural_standard"] == D("760.00")
    rows = Parameter.objects.filter(program_id="dibao", key="rural_standard", area_id=COUNTY).order_by("effective_from")
    assert [(r.value, r.effective_from, r.effective_to) for r in rows] == [
        ("720.00", START, dt.date(2026, 1, 1)), ("760.00", dt.date(2026, 1, 1), None)]


def test_dibao_parameters_typed_and_missing_standard_is_a_clear_error(county, rural_village, urban_village, system):
    with pytest.raises(ValidationError) as exc:
        selectors.dibao_parameters(rural_village.code, dt.date(2026, 11, 1))
    assert exc.value.field == "area_code"
    assert str(exc.value) == "No rural dibao standard is set for 正定县 for 2026-11: a county officer must enter it."
    services.set_parameter(actor=system, program_code="dibao", key="rural_standard", area_code=COUNTY, value="720",
                           effective_from=START, reason="demo")
    params = selectors.dibao_parameters(rural_village.code, dt.date(2026, 11, 1))
    assert params.rural_standard == D("720.00") and params.rural_standard_area == "正定县"
    assert params.elderly_age == 70 and params.margin_multiple == D("1.5") and params.rounding == "half_up"
    with pytest.raises(ValidationError):       # the urban village needs the urban standard
        selectors.dibao_parameters(urban_village.code, dt.date(2026, 11, 1))
    assert selectors.dibao_parameters(COUNTY, dt.date(2026, 11, 1)).urban_standard is None   # county: either will do


def test_unknown_area_and_program(db):
    with pytest.raises(ValidationError) as exc:
        selectors.parameters_for("dibao", "999999999999", dt.date(2026, 1, 1))
    assert exc.value.field == "area_code"
    with pytest.raises(ValidationError) as exc:
        selectors.parameters_for("lottery", None, dt.date(2026, 1, 1))
    assert exc.value.field == "program"


def test_special_hardship_and_temporary_parameters(standards, rural_village, urban_village):
    sh = selectors.special_hardship_parameters(rural_village.code, dt.date(2026, 11, 1))
    assert sh.basic_living_ratio == D("1.3") and sh.care_standard_full == D("800.00")
    assert sh.dibao.rural_standard == D("720.00")
    temporary = selectors.temporary_parameters(urban_village.code, dt.date(2026, 11, 1))
    assert temporary.standard == D("900.00") and temporary.is_urban and temporary.town_limit_multiple == D("4")
    with pytest.raises(ValidationError):
        selectors.temporary_parameters(COUNTY, dt.date(2026, 11, 1))
    assert selectors.temporary_parameters(COUNTY, dt.date(2026, 11, 1), is_urban=False).standard == D("720.00")


# --- set_parameter ------------------------------------------------------------------------------

def test_county_officer_sets_a_value_from_this_month_and_history_is_kept(standards, make_actor, rural_village):
    officer = make_actor("county_officer", COUNTY)
    month = this_month()
    row = services.set_parameter(actor=officer, program_code="dibao", key="rural_standard", area_code=COUNTY,
                                 value="¥780", effective_from=month, reason="县民政局通知 2026-12")
    assert row.value == "780.00" and row.effective_to is None and row.created_by_id == officer.user_id
    old = Parameter.objects.get(program_id="dibao", key="rural_standard", area_id=COUNTY, effective_from=START)
    assert old.effective_to == month and old.value == "720.00"
    assert selectors.parameters_for("dibao", rural_village.code, month)["rural_standard"] == D("780.00")
    event = AuditEvent.objects.filter(action="programs.set_parameter").last()
    assert event.object_id == str(row.pk)
    assert event.before["closed"]["effective_to"] is None and event.after["value"] == "780.00"
    assert verify_chain() is None
    history = list(selectors.parameter_history(officer, "dibao", "rural_standard", area_code=rural_village.code))
    assert [h.value for h in history] == ["780.00", "720.00"]


def test_a_value_scheduled_for_a_later_month_ends_an_earlier_new_one(standards, make_actor):
    officer = make_actor("county_officer", COUNTY)
    in_two = next_month(this_month(), 2)
    in_one = next_month(this_month(), 1)
    services.set_parameter(actor=officer, program_code="dibao", key="rural_standard", area_code=COUNTY, value="800",
                           effective_from=in_two, reason="announced")
    services.set_parameter(actor=officer, program_code="dibao", key="rural_standard", area_code=COUNTY, value="760",
                           effective_from=in_one, reason="interim")
    rows = Parameter.objects.filter(program_id="dibao", key="rural_standard", area_id=COUNTY).order_by("effective_from")
    assert [(r.value, r.effective_from, r.effective_to) for r in rows] == [
        ("720.00", START, in_one), ("760.00", in_one, in_two), ("800.00", in_two, None)]


def test_correcting_a_value_for_the_same_month_keeps_the_wrong_one_marked(standards, make_actor, rural_village):
    officer = make_actor("county_officer", COUNTY)
    month = next_month(this_month())
    wrong = services.set_parameter(actor=officer, program_code="dibao", key="rural_standard", area_code=COUNTY,
                                   value="7800", effective_from=month, reason="typo")
    right = services.set_parameter(actor=officer, program_code="dibao", key="rural_standard", area_code=COUNTY,
                                   value="780", effective_from=month, reason="correct the typo")
    wrong.refresh_from_db()
    assert wrong.replaced_by_id == right.pk and wrong.replaced_at is not None
    assert selectors.parameters_for("dibao", rural_village.code, month)["rural_standard"] == D("780.00")
    history = list(selectors.parameter_history(officer, "dibao", "rural_standard", area_code=COUNTY))
    assert [h.value for h in history] == ["780.00", "7800.00", "720.00"]


def test_not_before_the_current_month_unless_superuser(standards, make_actor, system):
    officer = make_actor("county_officer", COUNTY)
    last_month = next_month(this_month(), -1)
    with pytest.raises(ValidationError) as exc:
        services.set_parameter(actor=officer, program_code="dibao", key="rural_standard", area_code=COUNTY, value="700",
                               effective_from=last_month, reason="late")
    assert exc.value.field == "effective_from"
    services.set_parameter(actor=system, program_code="dibao", key="rural_standard", area_code=COUNTY, value="700",
                           effective_from=last_month, reason="superuser correction")


@pytest.mark.parametrize("kwargs,field", [
    ({"effective_from": "first"}, "effective_from"),
    ({"value": "abc"}, "value"),
    ({"value": "-1"}, "value"),
    ({"value": "900.001"}, "value"),
    ({"reason": "  "}, "reason"),
    ({"key": "magic"}, "key"),
    ({"area_code": "130123100201"}, "area_code"),
])
def test_bad_input_is_refused_with_the_field(standards, make_actor, kwargs, field):
    officer = make_actor("county_officer", COUNTY)
    args = dict(program_code="dibao", key="rural_standard", area_code=COUNTY, value="780",
                effective_from=next_month(this_month()), reason="ok")
    args.update(kwargs)
    if args["effective_from"] == "first":
        args["effective_from"] = next_month(this_month()).replace(day=2)
    with pytest.raises(ValidationError) as exc:
        services.set_parameter(actor=officer, **args)
    assert exc.value.field == field
    assert not Parameter.objects.filter(area_id=COUNTY, effective_from=next_month(this_month())).exists()


def test_typed_values_are_checked_by_type(standards, make_actor):
    officer = make_actor("county_officer", COUNTY)
    month = next_month(this_month())

    def put(key, value):
        return services.set_parameter(actor=officer, program_code="dibao", key=key, area_code=COUNTY, value=value,
                                      effective_from=month, reason="test")

    assert put("mandatory_deliberation", "yes").value == "true"
    assert put("rounding", "down").value == "down"
    assert put("gradual_exit_months", "12").value == "12"
    for key, bad in [("mandatory_deliberation", "maybe"), ("rounding", "sideways"), ("gradual_exit_months", "1.5"),
                     ("margin_multiple", "0.9"), ("survey_start_days", "0")]:
        with pytest.raises(ValidationError):
            put(key, bad)


def test_town_worker_is_refused_403(standards, make_actor):
    worker = make_actor("town_worker", TOWN)
    with pytest.raises(PermissionDenied):
        services.set_parameter(actor=worker, program_code="dibao", key="rural_standard", area_code=TOWN, value="780",
                               effective_from=next_month(this_month()), reason="no")


def test_officer_of_another_county_gets_404(standards, other_county, make_actor):
    outsider = make_actor("county_officer", other_county.code)
    with pytest.raises(NotFound):
        services.set_parameter(actor=outsider, program_code="dibao", key="rural_standard", area_code=COUNTY, value="1",
                               effective_from=next_month(this_month()), reason="no")
    with pytest.raises(NotFound):        # national rows are for national posts only
        services.set_parameter(actor=outsider, program_code="dibao", key="rural_standard", area_code=None, value="1",
                               effective_from=next_month(this_month()), reason="no")
    with pytest.raises(NotFound):
        selectors.standards_in_force(outsider, "dibao", area_code=COUNTY)
    assert Parameter.objects.filter(value="1.00").count() == 0


def test_standards_in_force_for_the_actors_area(standards, make_actor):
    worker = make_actor("town_worker", TOWN)
    code, rows = selectors.standards_in_force(worker, "dibao")
    assert code == TOWN
    by_key = {r.key: r for r in rows}
    assert by_key["rural_standard"].value == D("720.00") and by_key["rural_standard"].area_name == "正定县"
    assert by_key["rural_standard"].display_value == "¥720.00"
    assert by_key["increment_ratio_elderly"].display_value == "30 %"
    assert by_key["case_days"].display_value == "30 working days"
    assert [r.key for r in rows] == [s.key for s in catalogue.specs_for("dibao")]


def test_demo_standards_are_idempotent(county, system):
    assert seed_demo_standards(actor=system, county_code=COUNTY) == 2
    assert seed_demo_standards(actor=system, county_code=COUNTY) == 0


def test_area_paths_remembered_at_once_are_those_read_one_by_one(db, county):
    from safetynet.core import refcache
    from safetynet.programs import selectors

    codes = list(county.__class__.objects.filter(code__startswith=county.code).order_by("code")
                 .values_list("code", flat=True)[:40])
    one_by_one = {code: selectors._area_path(code) for code in codes}
    refcache.clear()
    selectors.remember_area_paths(codes + ["", "999999999999"])
    assert all(refcache.known((refcache.AREAS,), code) for code in codes)
    assert not refcache.known((refcache.AREAS,), "999999999999")       # no such area: not remembered
    assert {code: selectors.area_path(code) for code in codes} == one_by_one
