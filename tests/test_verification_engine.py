"""The verification engine (issue 4, part 2): the assessment through the dibao rule, the batch on
the demo county with planted facts (every exact-ID fact found, no false flag), and runs that
resume after an interruption without duplicates."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from safetynet.verification import assessment as A
from safetynet.verification.assessment import HouseholdTotals, MemberTotals, assess_household
from tests.programs_helpers import born, dibao_params

ON = dt.date(2026, 11, 1)


def totals(*members, income=Decimal("0"), financial=Decimal("0"), urban=False, **kw):
    return HouseholdTotals(household_id=1, area_code="130123100001", is_urban=urban, members=tuple(members),
                           counted_income=Decimal(income), financial=Decimal(financial), **kw)


def adult(pid=1, age=40, **kw):
    return MemberTotals(person_id=pid, birth_date=born(age, ON), **kw)


# --- the assessment (pure) ------------------------------------------------------------------

def test_clean_household_raises_no_flag_and_is_assessed_by_the_rule():
    result = assess_household(totals(adult(1, income=Decimal("500")), adult(2), income="500", homes=1,
                                     found_wages=Decimal("500"), declared_wages=Decimal("500")), dibao_params(), ON)
    assert result.flags == []
    assert result.eligible and result.per_capita_income == Decimal("250.00") and result.amount == Decimal("940.00")
    assert result.rule["standard"] == "720.00" and result.rule["financial_limit"] == "34560.00"   # 24 × 720 × 2
    assert result.rule["section"] == "POLICY.md §1"


@pytest.mark.parametrize("figures,flag", [
    ({"vehicles": 1}, A.VEHICLE),
    ({"businesses": 1}, A.BUSINESS),
    ({"homes": 2}, A.MORE_THAN_ONE_HOME),
    ({"non_residential": 1}, A.NON_RESIDENTIAL),
    ({"financial": "34560.01"}, A.FINANCIAL_OVER_LIMIT),
])
def test_each_asset_limit_flags_from_the_rule(figures, flag):
    result = assess_household(totals(adult(1), adult(2), **figures), dibao_params(), ON)
    assert result.flags == [flag] and not result.eligible


def test_financial_assets_exactly_at_the_limit_pass():
    assert assess_household(totals(adult(1), adult(2), financial="34560"), dibao_params(), ON).flags == []


def test_exempt_vehicles_do_not_flag():
    assert assess_household(totals(adult(1), exempt_vehicles=2), dibao_params(), ON).flags == []


def test_income_over_standard_even_when_assets_fail_too():
    result = assess_household(totals(adult(1, income=Decimal("2000")), income="2000", vehicles=1,
                                     found_wages=Decimal("2000"), declared_wages=Decimal("2000")), dibao_params(), ON)
    assert result.flags == [A.INCOME_OVER_STANDARD, A.VEHICLE]


def test_undeclared_wages_and_a_death_are_facts():
    result = assess_household(totals(adult(1), deceased=1, found_wages=Decimal("600"), declared_wages=Decimal("500"),
                                     income="600"), dibao_params(), ON)
    assert result.flags == [A.MEMBER_DECEASED, A.UNDECLARED_WAGES]


def test_no_standard_keeps_the_facts_and_says_why():
    result = assess_household(totals(adult(1), found_wages=Decimal("100")), None, ON, params_error="No rural dibao standard")
    assert result.flags == [A.UNDECLARED_WAGES] and result.rule["error"] == "No rural dibao standard"


def test_verified_figures_through_the_expressions():
    """The larger of declared and found; income of a member reported dead not counted; the
    resident basic pension found but not counted (expressions.household_totals_expr)."""
    import pyarrow as pa

    from safetynet.verification import engine
    from safetynet.verification.expressions import FINDING_SCHEMA, HOUSEHOLD_SCHEMA, MEMBER_SCHEMA

    members = pa.Table.from_pylist([
        {"household_id": 1, "person_id": 1, "chunk": 0, "id_number": "A", "name": "甲", "birth_date": born(50, ON),
         "disability_type": "", "disability_grade": None, "serious_illness": False, "is_deceased": False},
        {"household_id": 1, "person_id": 2, "chunk": 0, "id_number": "B", "name": "乙", "birth_date": born(75, ON),
         "disability_type": "", "disability_grade": None, "serious_illness": False, "is_deceased": False},
        {"household_id": 1, "person_id": 3, "chunk": 0, "id_number": "C", "name": "丙", "birth_date": born(80, ON),
         "disability_type": "", "disability_grade": None, "serious_illness": False, "is_deceased": False},
    ], schema=MEMBER_SCHEMA.to_pyarrow())
    declared = {name: 0 for name in HOUSEHOLD_SCHEMA.names}
    declared.update(household_id=1, area_code="130123100001", is_urban=False, chunk=0, declared_wages=Decimal("300"),
                    declared_pension=Decimal("100"), declared_deposit=Decimal("9000"), declared_home=1, declared_vehicle=0,
                    declared_other_income=Decimal("50"))
    for name in HOUSEHOLD_SCHEMA.names:
        if HOUSEHOLD_SCHEMA[name].is_decimal():
            declared[name] = Decimal(declared[name])
    households = pa.Table.from_pylist([declared], schema=HOUSEHOLD_SCHEMA.to_pyarrow())

    def finding(person, item, amount=None, value=None, subject="", key="k"):
        return {"household_id": 1, "person_id": person, "chunk": 0, "id_number": "ABC"[person - 1], "source": "s",
                "department": "d", "item": item, "counted": True, "monthly_amount": amount, "value": value,
                "subject": subject, "detail": "", "record_date": None, "record_key": key}
    findings = pa.Table.from_pylist([
        finding(1, "wages", Decimal("250")),                       # less than declared: 300 counts
        finding(2, "pension", Decimal("400")),                     # more than declared: 400 counts
        finding(2, "excluded_basic_pension", Decimal("180")),      # shown, not counted
        finding(3, "pension", Decimal("500")), finding(3, "death"),   # dead: not counted
        finding(1, "deposit", value=Decimal("20000")), finding(1, "home", key="h1"), finding(2, "home", key="h2"),
    ], schema=FINDING_SCHEMA.to_pyarrow())
    [result] = engine.assess_findings(findings, members, households, as_of=ON,
                                      resolver=engine.ParameterResolver(ON, resolve=lambda area, urban: dibao_params()))
    assert result.income["wages"] == Decimal("300.00") and result.income["pension"] == Decimal("400.00")
    assert result.income["excluded_basic_pension"] == Decimal("180.00")
    assert result.counted_income == Decimal("750.00") and result.members == 2 and result.deceased == 1
    assert result.financial_assets == Decimal("20000.00") and result.homes == 2
    assert result.flags == [A.MORE_THAN_ONE_HOME, A.MEMBER_DECEASED]
    assert result.found_wages == Decimal("250.00") and result.declared_wages == Decimal("300.00")


# --- the batch on the demo county -----------------------------------------------------------

@pytest.fixture
def demo_world(db, vdata):
    from safetynet.areas.actors import system_actor
    from safetynet.demo.generator import generate_demo_county
    from safetynet.verification.demo_data import build_verification_demo

    generate_demo_county(actor=system_actor(), people=2500, seed=11)
    return build_verification_demo(actor=system_actor(), seed=11, per_kind=2, controls=15)


def _flags(run):
    from safetynet.verification.models import HouseholdResult

    return {r.household_id: r.flags for r in HouseholdResult.objects.filter(run=run)}


def test_demo_snapshots_are_imported_and_ground_truth_written(demo_world):
    from pathlib import Path

    from safetynet.verification.demo_data import PLANTED_KINDS, read_ground_truth

    assert set(demo_world.snapshots) >= {"hrss_wages", "deposits", "vehicles", "real_estate", "businesses",
                                         "public_security_deaths", "pensions", "unemployment"}
    truth = read_ground_truth(Path(demo_world.folder))
    kinds = {p.fact for p in truth if p.identity == "exact"}
    assert kinds == set(PLANTED_KINDS)
    identities = {p.identity for p in truth}
    assert identities >= {"exact", "legacy", "bad_check", "no_id", "decoy", "control"}
    legacy = next(p for p in truth if p.identity == "legacy")
    assert len(legacy.record_id_number) == 15 and legacy.record_id_number == legacy.id_number[:6] + legacy.id_number[8:17]


def test_engine_finds_every_planted_fact_and_no_false_flag(demo_world):
    from safetynet.verification.demo_data import check_accuracy
    from safetynet.verification.services import run_verification, verification_service_actor

    households = sorted({p.household_id for p in demo_world.planted})
    run = run_verification(actor=verification_service_actor(), kind="county", area_code="130123", household_ids=households)
    assert run.status == "done" and run.households_done == len(households)
    accuracy = check_accuracy(demo_world.planted, _flags(run))
    assert accuracy.expected == 7 * 2
    assert accuracy.recall == 1.0, accuracy.missed
    assert accuracy.false_flags == []


def test_whole_county_batch_agrees_with_the_online_engine(demo_world, monkeypatch):
    """The batch (Parquet scans, chunks) and the online path (indexed lookups) give the same
    flags and totals for the same households."""
    from safetynet.verification import services
    from safetynet.verification.models import HouseholdResult

    actor = services.verification_service_actor()
    households = sorted({p.household_id for p in demo_world.planted})[:12]
    run = services.run_verification(actor=actor, kind="county", area_code="130123", household_ids=households, chunk_size=5)
    assert run.chunks_total == 3 and run.chunks_done == 3
    monkeypatch.setattr(services, "_authorized_case", lambda actor, household_id, case_id: None)
    for household_id in households:
        online = services.verify_household(actor=actor, household_id=household_id)
        batch = HouseholdResult.objects.get(run=run, household_id=household_id)
        assert online.result.flags == batch.flags
        assert (online.result.counted_income, online.result.financial_assets, online.result.homes) == \
               (batch.counted_income, batch.financial_assets, batch.homes)
        assert len(online.findings) == len(services.findings_for_household(run, household_id))


def test_interrupted_run_resumes_without_duplicates(demo_world):
    from django.db.models import Count

    from safetynet.verification import engine, services, storage
    from safetynet.verification.models import Finding, HouseholdResult, VerificationChunk

    actor = services.verification_service_actor()
    households = sorted({p.household_id for p in demo_world.planted})
    reference = services.run_verification(actor=actor, kind="county", area_code="130123", household_ids=households, chunk_size=10)

    run = services.start_run(actor=actor, kind="county", area_code="130123", household_ids=households, chunk_size=10)
    assert run.chunks_total >= 4
    with pytest.raises(engine.Interrupted):
        services.process_run(actor=actor, run_id=run.pk, stop_after_chunks=2)
    run.refresh_from_db()
    assert run.status == "running" and run.chunks_done == 2 and run.households_done == 20
    assert HouseholdResult.objects.filter(run=run).count() == 20

    # A worse crash: chunk 1's rows are in but its chunk row is not, and the findings step lost its marker.
    VerificationChunk.objects.filter(run=run, number=1).delete()
    (storage.run_dir(run.pk) / engine.FINDINGS_DONE).unlink()

    done = services.process_run(actor=actor, run_id=run.pk)
    assert done.status == "done" and done.attempts == 2
    assert HouseholdResult.objects.filter(run=run).count() == len(households)
    assert not HouseholdResult.objects.filter(run=run).values("household_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not (Finding.objects.filter(run=run).values("household_id", "id_number", "source", "item", "record_key")
                .annotate(n=Count("id")).filter(n__gt=1).exists())
    assert Finding.objects.filter(run=run).count() == Finding.objects.filter(run=reference).count()
    assert _flags(done) == _flags(reference)
    assert services.process_run(actor=actor, run_id=run.pk).pk == run.pk   # a finished run stays as it is


def test_assessment_shared_among_helper_processes_gives_the_same_results(demo_world, monkeypatch):
    from safetynet.verification import engine, services
    from safetynet.verification.models import HouseholdResult

    actor = services.verification_service_actor()
    households = sorted({p.household_id for p in demo_world.planted})
    inline = services.run_verification(actor=actor, kind="county", area_code="130123", household_ids=households)
    monkeypatch.setattr(engine, "PARALLEL_MIN_HOUSEHOLDS", 1)
    monkeypatch.setattr(engine, "PARALLEL_MIN_CHUNK", 2)
    shared = services.run_verification(actor=actor, kind="county", area_code="130123", household_ids=households)
    fields = ("household_id", "flags", "counted_income", "per_capita_income", "financial_assets", "eligible", "amount", "rule",
              "income", "assets")
    assert list(HouseholdResult.objects.filter(run=shared).order_by("household_id").values_list(*fields)) == \
           list(HouseholdResult.objects.filter(run=inline).order_by("household_id").values_list(*fields))


def test_large_runs_keep_findings_in_parquet(demo_world, monkeypatch):
    from safetynet.verification import services
    from safetynet.verification.models import Finding

    monkeypatch.setattr(services, "DATABASE_FINDINGS_MAX_HOUSEHOLDS", 5)
    households = sorted({p.household_id for p in demo_world.planted})
    run = services.run_verification(actor=services.verification_service_actor(), kind="county", area_code="130123",
                                    household_ids=households, chunk_size=8)
    assert run.findings_storage == "parquet" and not Finding.objects.filter(run=run).exists()
    vehicle = next(p for p in demo_world.planted if p.fact == "vehicle" and p.identity == "exact")
    found = services.findings_for_household(run, vehicle.household_id)
    assert any(f["item"] == "vehicle" and f["person_id"] == vehicle.person_id for f in found)
    assert run.findings_count == sum(len(services.findings_for_household(run, h)) for h in households)


def test_batch_runs_need_the_permission_and_the_area(demo_world, make_actor):
    from safetynet.core.errors import NotFound, PermissionDenied
    from safetynet.verification.services import start_run
    from tests.conftest import OTHER_TOWN, TOWN

    with pytest.raises(PermissionDenied):
        start_run(actor=make_actor("town_worker", TOWN), kind="cases", area_code=TOWN)
    with pytest.raises(NotFound):
        start_run(actor=make_actor("county_officer", OTHER_TOWN), kind="cases", area_code=TOWN)


def test_a_batch_before_any_department_data_is_loaded_finds_nothing_and_finishes(db, vdata):
    """A new county runs its first batch before the departments sent anything: no findings, no
    crash (the empty findings table must exist on the run's own DuckDB connection)."""
    from safetynet.areas.actors import system_actor
    from safetynet.demo.generator import generate_demo_county
    from safetynet.registry.models import Household
    from safetynet.verification.models import Finding, HouseholdResult, RunStatus
    from safetynet.verification.services import run_verification, verification_service_actor

    generate_demo_county(actor=system_actor(), people=300, seed=5)
    households = list(Household.objects.order_by("id").values_list("id", flat=True)[:20])
    run = run_verification(actor=verification_service_actor(), kind="county", area_code="130123", household_ids=households)
    assert run.status == RunStatus.DONE
    assert HouseholdResult.objects.filter(run=run).count() == 20
    assert run.findings_count == 0 and not Finding.objects.filter(run=run).exists()
