"""Maker-checker, frozen runs, bank files (totals and checksums) and the bank's returns."""
import csv
import hashlib
from decimal import Decimal

import pytest

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.payroll import services
from safetynet.payroll.models import Payment, PayrollRun
from tests.payments_helpers import D, returns_file
from tests.conftest import COUNTY


@pytest.fixture
def settings_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _generated(p, month="2025-10"):
    return services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month=month)


def _exported(p, month="2025-10"):
    run = _generated(p, month)
    services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    summary = services.export_bank_files(actor=p.posts.officer, run_id=run.pk)
    return PayrollRun.objects.get(pk=run.pk), summary


def test_maker_checker(payroll, make_actor):
    p = payroll
    run = _generated(p)
    with pytest.raises(PermissionDenied):           # an officer may not approve at all
        services.approve_payroll_run(actor=p.posts.officer, run_id=run.pk)
    with pytest.raises(PermissionDenied):
        services.approve_payroll_run(actor=p.posts.worker, run_id=run.pk)
    from safetynet.areas.models import Area

    Area.objects.create(code="130124", name="栾城区", level="county", parent_id="1301")
    with pytest.raises(NotFound):                   # another county's leader: as if it did not exist
        services.approve_payroll_run(actor=make_actor("county_leader", "130124"), run_id=run.pk)
    # One person holding both posts generates, then tries to approve: refused.
    from django.contrib.auth import get_user_model

    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.models import Post

    both = get_user_model().objects.get(pk=p.posts.officer.user_id)
    as_leader = actor_for_post(Post.objects.create(user=both, role="county_leader", area_id=COUNTY))
    with pytest.raises(PermissionDenied) as err:
        services.approve_payroll_run(actor=as_leader, run_id=run.pk)
    assert "maker-checker" in err.value.message
    approved = services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    assert approved.status == "approved" and approved.approved_by_id == p.posts.county_leader.user_id


def test_the_database_refuses_the_generator_as_approver(payroll):
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    run = _generated(payroll)
    with pytest.raises(IntegrityError), transaction.atomic():
        PayrollRun.objects.filter(pk=run.pk).update(approved_by_id=run.generated_by_id, approved_at=timezone.now(),
                                                    status="approved")


def test_an_approved_run_is_frozen(payroll):
    p = payroll
    run = _generated(p)
    services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    p.enroll("500.00")
    with pytest.raises(Conflict) as err:
        _generated(p)
    assert "frozen" in err.value.message and "2025-10" in err.value.message
    with pytest.raises(Conflict):
        services.approve_payroll_run(actor=p.posts.county_leader, run_id=run.pk)
    assert Payment.objects.filter(run=run).count() == 1


def test_export_bank_files_add_up_with_checksums(payroll, settings_media):
    p = payroll
    p.enroll("100.10")
    p.enroll("200.20", account="6228480000000001")
    p.enroll("300.30", account="")
    with pytest.raises(Conflict):                   # not approved yet
        services.export_bank_files(actor=p.posts.officer, run_id=_generated(p).pk)
    run, summary = _exported(p)
    directory = services.export_directory(run)   # payroll/<code>-<random> under the private root
    files_total = Decimal("0")
    for bank in summary["banks"]:
        data = (directory / bank["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == bank["sha256"]
        rows = list(csv.DictReader(data.decode("utf-8-sig").splitlines()))
        assert list(rows[0]) == ["account", "name", "amount", "reference"]
        assert sum(Decimal(r["amount"]) for r in rows) == Decimal(bank["total"])
        files_total += Decimal(bank["total"])
    assert {b["bank"] for b in summary["banks"]} == {"ccb", "abc"}
    assert files_total == run.payable_amount == Decimal("2070.00") + Decimal("100.10") + Decimal("200.20")
    assert run.payable_amount + run.no_account_amount == run.total_amount
    assert sum(Payment.objects.filter(run=run).values_list("amount", flat=True)) == run.total_amount
    assert summary["no_account_total"] == "300.30"
    assert hashlib.sha256((directory / summary["summary_file"]).read_bytes()).hexdigest() == summary["summary_sha256"]
    assert run.status == "exported"
    assert set(Payment.objects.filter(run=run).values_list("status", flat=True)) == {"exported", "no_account"}
    assert services.export_bank_files(actor=p.posts.officer, run_id=run.pk) == summary   # once


def test_returns_bad_files_are_refused_whole(payroll, settings_media):
    p = payroll
    p.enroll("100.00")
    run, _summary = _exported(p)
    refs = dict(Payment.objects.filter(run=run).values_list("reference", "amount"))
    good, other = sorted(refs)
    with pytest.raises(ValidationError) as err:
        services.import_bank_returns(actor=p.posts.officer, run_id=run.pk, filename="r.csv",
                                     file=returns_file([(good, refs[good], "failed", "账户冻结"), ("NOPE-1", "1.00", "paid", "")]))
    assert "Row 3: unknown reference NOPE-1" in err.value.message
    with pytest.raises(ValidationError) as err:
        services.import_bank_returns(actor=p.posts.officer, run_id=run.pk, filename="r.csv",
                                     file=returns_file([(good, "99.99", "paid", "")]))
    assert "Row 2: amount 99.99 does not match" in err.value.message
    assert set(Payment.objects.filter(run=run).values_list("status", flat=True)) == {"exported"}   # nothing applied
    # A file for another run (November's).
    nov, _ = _exported(p, "2025-11")
    nov_rows = [(r, a, "paid", "") for r, a in Payment.objects.filter(run=nov).values_list("reference", "amount")]
    with pytest.raises(ValidationError) as err:
        services.import_bank_returns(actor=p.posts.officer, run_id=run.pk, filename="r.csv", file=returns_file(nov_rows))
    assert f"This file is for run {nov.code}, not for run {run.code}" in err.value.message
    with pytest.raises(PermissionDenied):
        services.import_bank_returns(actor=p.posts.county_leader, run_id=run.pk, filename="r.csv",
                                     file=returns_file([(good, refs[good], "paid", "")]))


def test_failed_payments_are_carried_into_the_next_run(payroll, settings_media):
    p = payroll
    no_account = p.enroll("300.00", account="")
    run, _summary = _exported(p)
    rows = list(Payment.objects.filter(run=run, status="exported").values_list("reference", "amount", "enrollment_id"))
    failed_ref, failed_amount, failed_enrollment = rows[0]
    result = services.import_bank_returns(actor=p.posts.officer, run_id=run.pk, filename="returns.csv", file=returns_file(
        [(failed_ref, failed_amount, "failed", "账户已销户")] + [(r, a, "paid", "") for r, a, _e in rows[1:]]))
    assert (result.failed, result.paid, result.reconciled) == (1, len(rows) - 1, True)
    # The household without an account gives one; November pays October's failed and unpaid money.
    from safetynet.enrollments.models import Enrollment

    Enrollment.objects.filter(pk=no_account.pk).update(bank_account="6217000000009999")
    nov = _generated(p, "2025-11")
    carried = {(c.enrollment_id, c.month): c for c in Payment.objects.filter(run=nov, kind="carried")}
    assert set(carried) == {(failed_enrollment, D(2025, 10, 1)), (no_account.pk, D(2025, 10, 1))}
    assert carried[(failed_enrollment, D(2025, 10, 1))].amount == failed_amount
    assert carried[(no_account.pk, D(2025, 10, 1))].status == "pending"
    assert Payment.objects.get(reference=failed_ref).status == "carried_over"
    # October's figures do not move; the carry happens once.
    october = PayrollRun.objects.get(pk=run.pk)
    assert october.total_amount == sum(Payment.objects.filter(run=run).values_list("amount", flat=True))
    again = _generated(p, "2025-11")
    assert again.added["carried"] == 0 and Payment.objects.filter(run=nov, kind="carried").count() == 2


def test_returns_amount_with_a_decimal_comma_or_three_decimals_is_refused_with_row_and_reason(payroll, settings_media):
    p = payroll
    run, _summary = _exported(p)
    good = Payment.objects.filter(run=run).order_by("reference").first()
    whole = f"{good.amount:.2f}"
    for written, reason in (('"' + whole.replace(".", ",") + '"', "thousands separator"), (whole + "1", "more than two decimals"),
                            (f"{float(good.amount):e}", "exponent")):
        with pytest.raises(ValidationError) as err:
            services.import_bank_returns(actor=p.posts.officer, run_id=run.pk, filename="r.csv",
                                         file=returns_file([(good.reference, written, "paid", "")]))
        assert "Row 2:" in err.value.message and reason in err.value.message, err.value.message
    assert set(Payment.objects.filter(run=run).values_list("status", flat=True)) == {"exported"}
