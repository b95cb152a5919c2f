"""Payroll actions and policy simulations as background jobs (issue 5 part 5): what starting one
checks at once, what the job records as it runs, and `safetynet payroll ... --background`."""
import dataclasses

import pytest
from django.core.management import CommandError, call_command

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.payroll import jobs
from safetynet.payroll.models import Payment, PayrollRun
from tests.conftest import COUNTY, OTHER_TOWN

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}


@pytest.fixture
def job_dirs(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def immediate(settings, job_dirs):
    """A worker that runs each job as it is queued."""
    settings.TASKS = IMMEDIATE


def _user(actor):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=actor.user_id).username


def test_a_queued_job_waits_for_a_worker_and_the_worker_runs_it(payroll, job_dirs):
    from django_tasks_db.models import DBTaskResult

    from safetynet.payroll.tasks import generate_payroll_job

    p = payroll
    job = jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    assert job.status == jobs.QUEUED and job.params == {"county": COUNTY, "month": "2025-10"}
    row = DBTaskResult.objects.get()
    assert row.task_path.endswith("generate_payroll_job") and row.args_kwargs["args"] == [job.id] and job.task_id == str(row.id)
    assert not PayrollRun.objects.exists()
    generate_payroll_job.call(job.id)          # what the worker does
    job = jobs.load(job.id)
    run = PayrollRun.objects.get()
    assert job.status == jobs.DONE and job.done == job.total == 4 and job.step == "carried"
    assert job.result["code"] == run.code and job.result["payments"] == 1 and job.result["total"] == "2070.00"
    assert run.generated_by_username == p.posts.officer.username      # the job acted as the post that started it


def test_the_service_refusing_fails_the_job_with_its_message(payroll, immediate):
    p = payroll
    jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    run = PayrollRun.objects.get()
    job = jobs.start_approval(actor=p.posts.county_leader, run_id=run.pk)
    assert job.status == jobs.DONE and PayrollRun.objects.get().status == "approved"
    again = jobs.start_approval(actor=p.posts.county_leader, run_id=run.pk)
    assert again.status == jobs.FAILED and again.error_code == "run_frozen" and "frozen" in again.error
    regenerate = jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    assert regenerate.status == jobs.FAILED and "frozen" in regenerate.error


def test_bad_returns_are_listed_and_nothing_is_applied(payroll, immediate):
    import io

    p = payroll
    jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    run = PayrollRun.objects.get()
    jobs.start_approval(actor=p.posts.county_leader, run_id=run.pk)
    assert jobs.start_export(actor=p.posts.officer, run_id=run.pk).status == jobs.DONE
    bad = jobs.start_returns(actor=p.posts.officer, run_id=run.pk, upload=io.BytesIO(b"reference,amount,result\nNOPE,1.00,paid\n"),
                             filename="returns.csv")
    assert bad.status == jobs.FAILED and bad.error_rows == ["Row 2: unknown reference NOPE."]
    assert not bad.upload_path.exists()            # the uploaded file is not kept once read
    payment = Payment.objects.get(run=run)
    good = jobs.start_returns(actor=p.posts.officer, run_id=run.pk,
                              upload=io.BytesIO(f"reference,amount,result\n{payment.reference},{payment.amount},paid\n".encode()),
                              filename="../../returns.csv")
    assert good.status == jobs.DONE and good.result["paid"] == 1 and good.result["reconciled"] is True
    assert good.params["filename"] == "returns.csv"


def test_starting_a_job_checks_permission_area_and_input_first(payroll, job_dirs, make_actor):
    from django_tasks_db.models import DBTaskResult

    p = payroll
    with pytest.raises(PermissionDenied):
        jobs.start_generation(actor=p.posts.worker, county_code=COUNTY, month="2025-10")
    with pytest.raises(NotFound):
        jobs.start_generation(actor=dataclasses.replace(p.posts.officer, area_code="130124"), county_code=COUNTY,
                              month="2025-10")
    with pytest.raises(ValidationError) as error:
        jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="October")
    assert error.value.field == "month"
    with pytest.raises(ValidationError):
        jobs.start_simulation(actor=p.posts.county_leader, county_code=COUNTY, program="dibao", key="urban_standard",
                              value="abc", month="2026-01")
    with pytest.raises(PermissionDenied):
        jobs.start_simulation(actor=p.posts.inspector, county_code=COUNTY, program="dibao", key="urban_standard",
                              value="1000", month="2026-01")
    assert not DBTaskResult.objects.exists() and not list((job_dirs / "data").glob("jobs/payments/*.json"))


def test_who_may_follow_a_job(payroll, job_dirs):
    p = payroll
    job = jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    assert jobs.get_job(p.posts.officer, job.id).id == job.id
    with pytest.raises(PermissionDenied):
        jobs.get_job(p.posts.county_leader, job.id)      # a generation is the officer's to follow
    for actor in (p.posts.worker, p.posts.other_worker):
        with pytest.raises(NotFound):
            jobs.get_job(actor, job.id)                  # a town post does not see the county's jobs
    for bad in ("0" * 32, "not-a-job", "../settings"):
        with pytest.raises(NotFound):
            jobs.get_job(p.posts.officer, bad)
    with pytest.raises(NotFound):
        jobs.get_job(p.posts.officer, job.id, kind=jobs.SIMULATE)


def test_a_simulation_job_records_its_progress_and_result(payroll, immediate):
    p = payroll
    job = jobs.start_simulation(actor=p.posts.county_leader, county_code=COUNTY, program="dibao", key="urban_standard",
                                value="1000", month="2026-01")
    assert job.status == jobs.DONE and job.done == job.total == 1 and job.percent == 100
    assert job.params["value"] == "1000.00" and job.result["raised"]["count"] == 1 and job.result["cost_after"] == "2400.00"


def test_a_job_whose_post_was_closed_does_not_act(payroll, job_dirs):
    from safetynet.areas.models import Post
    from safetynet.payroll.tasks import generate_payroll_job

    p = payroll
    job = jobs.start_generation(actor=p.posts.officer, county_code=COUNTY, month="2025-10")
    Post.objects.filter(pk=p.posts.officer.post_id).update(is_active=False)
    generate_payroll_job.call(job.id)
    assert jobs.load(job.id).status == jobs.FAILED and not PayrollRun.objects.exists()


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------
def test_payroll_command_in_the_background(payroll, immediate, capsys):
    p = payroll
    officer, leader = _user(p.posts.officer), _user(p.posts.county_leader)
    call_command("payroll", "generate", "--county", COUNTY, "--month", "2025-10", "--as", officer, "--background", "--wait",
                 "--interval", "0.01")
    out = capsys.readouterr().out
    run = PayrollRun.objects.get()
    assert "Queued as job" in out and "carried 4/4" in out and f"Run {run.code} (#{run.pk}) generated: 1 payments" in out
    with pytest.raises(CommandError, match="may payments.approve"):
        call_command("payroll", "approve", run.code, "--as", officer, "--background", "--wait")   # no approve post
    call_command("payroll", "approve", run.code, "--as", leader, "--background", "--wait", "--interval", "0.01")
    call_command("payroll", "export", run.code, "--as", officer, "--background", "--wait", "--interval", "0.01")
    assert PayrollRun.objects.get().status == "exported"
    capsys.readouterr()
    call_command("payroll", "approve", run.code, "--as", leader, "--background")
    out = capsys.readouterr().out
    job_id = out.split("Queued as job ")[1].split()[0]
    assert jobs.load(job_id).status == jobs.FAILED and "frozen" in jobs.load(job_id).error   # without --wait: returns


def test_payroll_command_background_without_a_worker_returns_at_once(payroll, job_dirs, capsys):
    call_command("payroll", "generate", "--county", COUNTY, "--month", "2025-10", "--background")
    out = capsys.readouterr().out
    job = jobs.load(out.split("Queued as job ")[1].split()[0])
    assert job.status == jobs.QUEUED and job.requested_by == "system" and not PayrollRun.objects.exists()
    with pytest.raises(CommandError, match="No such area|not found|Not found"):
        call_command("payroll", "generate", "--county", OTHER_TOWN[:5] + "9", "--month", "2025-10", "--background")
