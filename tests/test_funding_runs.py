"""A month's subsidies paid through the payroll's machinery (issue 19 part 3): maker-checker, the
budget charged on approval, bank files (private, office CSV), the bank's returns, failed cards
carried to the next run, and nothing paid twice."""
from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from safetynet.core.errors import Conflict, PermissionDenied, ValidationError
from safetynet.funding import subsidies, subsidy_runs
from safetynet.funding.models import BudgetCharge, StatementStatus, SubsidyLine, SubsidyRun, SubsidyStatement
from tests.cases_helpers import D
from tests.conftest import COUNTY, OTHER_TOWN, TOWN
from tests.funding_helpers import budget, returns_file, work  # noqa: F401,F811 (a fixture)

PAID_ON = D(2025, 10, 9)


@pytest.fixture
def generated(work, posts):
    budget(posts.officer, TOWN, "5000.00")
    budget(posts.officer, OTHER_TOWN, "5000.00")
    return subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")


def test_the_generator_does_not_approve(work, posts, make_actor):
    budget(posts.officer, TOWN, "5000.00")
    budget(posts.officer, OTHER_TOWN, "5000.00")
    # A post holding both permissions that generated the run may not approve it.
    both = replace(posts.county_leader, permissions=posts.county_leader.permissions | {"funding.subsidies"})
    run = subsidies.generate_subsidies(actor=both, county_code=COUNTY, month="2025-09")
    with pytest.raises(PermissionDenied) as error:
        subsidy_runs.approve_subsidy_run(actor=both, run_id=run.pk, on=PAID_ON)
    assert error.value.code == "maker_checker"
    with pytest.raises(PermissionDenied):          # the county officer holds no approval
        subsidy_runs.approve_subsidy_run(actor=posts.officer, run_id=run.pk, on=PAID_ON)
    # And the database refuses it whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyRun.objects.filter(pk=run.pk).update(approved_by_id=run.generated_by_id)
    other_leader = make_actor("county_leader", COUNTY)
    assert subsidy_runs.approve_subsidy_run(actor=other_leader, run_id=run.pk, on=PAID_ON).status == "approved"


def test_approval_charges_each_towns_subsidy_budget(generated, posts):
    run = subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=generated.pk, on=PAID_ON)
    assert run.status == "approved" and run.approved_by_username == posts.county_leader.username
    charges = {c.area_id: c.amount for c in BudgetCharge.objects.all()}
    assert charges == {TOWN: Decimal("230.00"), OTHER_TOWN: Decimal("140.00")}
    assert set(BudgetCharge.objects.values_list("source_key", flat=True)) == {f"{run.code}:{TOWN}", f"{run.code}:{OTHER_TOWN}"}
    assert not SubsidyLine.objects.filter(run=run, budget_charged=False).exists()
    with pytest.raises(Conflict):
        subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=run.pk, on=PAID_ON)


def test_approval_is_refused_without_a_budget_line(work, posts):
    budget(posts.officer, TOWN, "5000.00")
    run = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-09")
    with pytest.raises(ValidationError, match="No 2025 work subsidies budget is set for 新城铺镇") as error:
        subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=run.pk, on=PAID_ON)
    assert error.value.code == "invalid" or error.value.field == "budget"
    run.refresh_from_db()
    assert run.status == "generated" and not BudgetCharge.objects.exists()
    # A county line covers a town that has none of its own.
    budget(posts.officer, COUNTY, "1000.00")
    subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=run.pk, on=PAID_ON)
    assert BudgetCharge.objects.get(area_id=OTHER_TOWN).line.area_id == COUNTY


def _approved_and_exported(run, posts):
    subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=run.pk, on=PAID_ON)
    return subsidy_runs.export_subsidy_run(actor=posts.officer, run_id=run.pk)


def test_bank_files_and_returns(generated, posts, settings, tmp_path, login, client):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(Conflict):                     # not approved yet
        subsidy_runs.export_subsidy_run(actor=posts.officer, run_id=generated.pk)
    summary = _approved_and_exported(generated, posts)
    run = SubsidyRun.objects.get(pk=generated.pk)
    payable = SubsidyStatement.objects.filter(run=run, status=StatementStatus.EXPORTED)
    assert summary["files_count"] == payable.count() == 3          # the roll's three villagers have cards
    assert Decimal(summary["files_total"]) == Decimal("90.00") and summary["no_account_count"] == 4
    path = tmp_path / "subsidies" / summary["directory"] / summary["banks"][0]["file"]
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"account,name,amount,reference" in data
    assert subsidy_runs.export_subsidy_run(actor=posts.officer, run_id=run.pk) == run.export_summary   # once
    # Downloaded by the county through the view; a town post and an anonymous visitor get 404.
    url = f"/funding/runs/{run.pk}/files/{summary['banks'][0]['file']}"
    assert login(posts.officer).get(url).status_code == 200
    assert login(posts.worker).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 404
    # The bank's returns: a wrong amount refuses the whole file; then one paid, one failed, one paid.
    rows = list(payable.order_by("id").values_list("reference", "amount"))
    with pytest.raises(ValidationError) as error:
        subsidy_runs.import_subsidy_returns(actor=posts.officer, run_id=run.pk, filename="r.csv",
                                            file=returns_file([(rows[0][0], "1.00", "paid", "")]))
    assert error.value.code == "bad_returns" and "does not match" in error.value.details["rows"][0]
    result = subsidy_runs.import_subsidy_returns(actor=posts.officer, run_id=run.pk, filename="r.csv", file=returns_file(
        [(rows[0][0], rows[0][1], "paid", ""), (rows[1][0], rows[1][1], "failed", "账户已冻结"),
         (rows[2][0], rows[2][1], "paid", "")]))
    assert (result.paid, result.failed, result.reconciled) == (2, 1, True)
    # Nothing paid twice: a paid statement is not awaiting the bank any more.
    with pytest.raises(Conflict):
        subsidy_runs.import_subsidy_returns(actor=posts.officer, run_id=run.pk, filename="r.csv",
                                            file=returns_file([(rows[0][0], rows[0][1], "paid", "")]))
    # The failed card and the people without an account are carried into October's run, once.
    october = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-10")
    assert october.added["carried"] == 1 + 8   # one villager's meeting line, the four investigators' two lines each
    assert SubsidyStatement.objects.filter(run=run, status=StatementStatus.CARRIED_OVER).count() == 5
    assert october.total_amount == Decimal("30.00") + 4 * Decimal("70.00")
    assert SubsidyStatement.objects.filter(run=october).count() == 5
    again = subsidies.generate_subsidies(actor=posts.officer, county_code=COUNTY, month="2025-10")
    assert again.added["carried"] == 0 and again.total_amount == october.total_amount
    # Carried lines were charged with September: October's approval charges nothing for them.
    budget_before = BudgetCharge.objects.count()
    subsidy_runs.approve_subsidy_run(actor=posts.county_leader, run_id=october.pk, on=D(2025, 11, 7))
    assert BudgetCharge.objects.count() == budget_before


def test_a_person_is_on_one_statement_per_run_in_the_database(generated):
    statement = SubsidyStatement.objects.filter(run=generated).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        SubsidyStatement.objects.create(run=generated, id_number=statement.id_number, name="x", area_id=statement.area_id,
                                        reference="other-ref")
