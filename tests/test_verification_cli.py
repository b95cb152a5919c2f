"""`safetynet verify` (issue 4, part 6): runs as background jobs with progress on the command line;
--inline runs the job in the process (as tests do), --no-wait leaves it queued; `identity_resolve`."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from tests.cases_helpers import make_poor_household, walk
from tests.verification_helpers import import_rows


@pytest.fixture
def world(vdata, posts, standards, clock, poor_household, village):
    """Two households of the county with signed authorizations, one with a car."""
    from safetynet.registry.models import Person

    spouse = Person.objects.filter(household=poor_household, relation_to_head="spouse").get()
    import_rows(posts.officer, "vehicles", [{"id_number": spouse.id_number, "plate": "冀A7K001", "vehicle_type": "car",
                                             "registered_on": dt.date(2019, 5, 1)}])
    second = make_poor_household(posts.worker, village.code)
    walk(posts, poor_household, clock, to="accepted")
    walk(posts, second, clock, to="accepted")
    return {"household": poor_household, "second": second}


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("verify", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_verify_household_inline_produces_a_result(world):
    from safetynet.verification.models import HouseholdResult, VerificationRun

    out = run_command("--household", str(world["household"].pk), "--inline")
    run = VerificationRun.objects.get()
    result = HouseholdResult.objects.get(run=run)
    assert run.status == "done" and run.kind == "household" and result.household_id == world["household"].pk
    assert result.flags == ["vehicle"]
    assert f"/verification/reports/{result.pk}/" in out and "chunks 1/1" in out and "\r" in out


@pytest.mark.django_db
def test_verify_county_shows_progress_chunk_by_chunk(world):
    from safetynet.verification.models import VerificationRun

    out = run_command("--county", "130123", "--inline", "--chunk", "1")
    run = VerificationRun.objects.get()
    assert run.kind == "county" and run.households_total == 2 and run.chunks_done == 2 and run.status == "done"
    lines = [line.strip() for line in out.split("\r") if "chunks" in line]
    assert any("chunks 1/2" in line for line in lines) and any("chunks 2/2" in line for line in lines)
    assert "households 2/2" in out and "flagged 1" in out
    assert f"/verification/runs/{run.pk}/" in out


@pytest.mark.django_db
def test_verify_queues_a_job_and_returns_with_no_wait(world):
    from django_tasks_db.models import DBTaskResult

    from safetynet.verification.models import VerificationRun

    out = run_command("--county", "130123", "--no-wait")
    run = VerificationRun.objects.get()
    assert run.status == "pending" and "Queued as job" in out
    job = DBTaskResult.objects.get()
    assert job.task_path.endswith("process_verification_run") and job.args_kwargs["args"] == [run.pk]


@pytest.mark.django_db
def test_verify_follows_a_job_a_worker_runs(world, settings):
    """With --wait the command reads the run's recorded progress until the worker is done (the
    worker here: the immediate backend, which runs the job as it is queued)."""
    from safetynet.verification.models import VerificationRun

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    out = run_command("--county", "130123", "--interval", "0.01")
    run = VerificationRun.objects.get()
    assert run.status == "done" and "households 2/2" in out and f"Run #{run.pk} done" in out


@pytest.fixture
def flushable():
    """A transactional test empties the database by DELETE: lift the audit ledger's append-only
    guard at teardown (as tests/browser.live_site does)."""
    from django.db import connection

    from safetynet.core.ledger_guard import remove_guard

    yield
    remove_guard(connection)


@pytest.mark.django_db(transaction=True)   # the worker closes its database connection when done
def test_db_worker_runs_the_queued_job(flushable, world):
    from safetynet.verification.models import VerificationRun

    run_command("--county", "130123", "--no-wait")
    call_command("db_worker", "--batch", stdout=io.StringIO(), stderr=io.StringIO())
    run = VerificationRun.objects.get()
    assert run.status == "done" and run.households_done == 2 and run.flagged_households == 1


@pytest.mark.django_db
def test_verify_refuses_what_the_service_refuses(world, posts, make_poor_household_no_case):
    with pytest.raises(CommandError, match="authorization"):
        run_command("--household", str(make_poor_household_no_case.pk), "--inline")
    with pytest.raises(CommandError, match="county code"):
        run_command("--county", "1301", "--inline")


@pytest.fixture
def make_poor_household_no_case(posts, village):
    return make_poor_household(posts.worker, village.code)
