"""Institutions' monthly statements (issue 20 part 3): generated set-based and idempotently,
reconciled against the institution's claim, approved by another person than the generator and
charged to the county's medical assistance budget, paid through the payroll's bank files and
returns."""
from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from safetynet.core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from safetynet.funding.models import BudgetCharge
from safetynet.medical import statements
from safetynet.medical.models import MedicalClaim, MedicalPaymentRun, MedicalStatement, Settlement
from tests.medical_statement_helpers import COUNTY, D, Decimal, returns_file, stmt  # noqa: F401 (a fixture)


def test_a_month_is_stated_once_and_again_only_adds_what_is_new(stmt):
    a = stmt.settle(assistance="1000.00")
    b = stmt.settle(assistance="250.50", on=D(2025, 9, 30))
    c = stmt.settle(stmt.centre, assistance="300.00")
    stmt.settle(assistance="999.00", on=D(2025, 10, 2))      # October's: not on September's statement
    run = stmt.generate()
    assert run.added["statements"] == 2 and run.added["settlements"] == 3
    hospital = stmt.statement()
    assert (hospital.settlements_count, hospital.assistance_total, hospital.net_total) == (2, Decimal("1250.50"),
                                                                                         Decimal("1250.50"))
    assert hospital.status == "draft" and hospital.generated_by_username == stmt.posts.officer.username
    assert hospital.reference == f"YL{COUNTY}202509-{hospital.pk}"
    assert set(Settlement.objects.filter(statement=hospital).values_list("pk", flat=True)) == {a.pk, b.pk}
    assert stmt.statement(stmt.centre).net_total == Decimal("300.00") and c.pk
    assert run.statement_count == 2 and run.net_total == Decimal("1550.50")

    again = stmt.generate()
    assert again.pk == run.pk and again.added["statements"] == 0 and again.added["settlements"] == 0
    late = stmt.settle(assistance="100.00", on=D(2025, 9, 29))   # came in late: onto the draft
    again = stmt.generate()
    assert again.added["settlements"] == 1
    assert stmt.statement().settlements_count == 3 and stmt.statement().assistance_total == Decimal("1350.50")
    assert Settlement.objects.get(pk=late.pk).statement_id == hospital.pk
    assert MedicalStatement.objects.count() == 2


def test_generation_is_set_based(stmt):
    for i in range(5):
        stmt.settle(assistance="10.00")
    with CaptureQueriesContext(connection) as few:
        stmt.generate()
    stmt.settle(assistance="10.00", on=D(2025, 9, 2))
    for i in range(60):
        stmt.settle(assistance="10.00", on=D(2025, 8, 20))       # late ones of August too
    with CaptureQueriesContext(connection) as many:
        stmt.generate()
    assert stmt.statement().settlements_count == 66
    assert len(many.captured_queries) <= len(few.captured_queries) + 2


def test_only_a_month_that_has_ended_is_stated(stmt):
    for month in ("2025-10", "2025-11"):
        with pytest.raises(ValidationError) as error:
            stmt.generate(month)
        assert error.value.code == "month_not_ended" and "2025-09" in error.value.message
    with pytest.raises(ValidationError):
        stmt.generate("September")


def _approve(stmt, statement, note=""):
    return statements.approve_statement(actor=stmt.posts.county_leader, statement_id=statement.pk, note=note,
                                        on=D(2025, 10, 12))


def test_a_reversal_of_a_paid_settlement_is_deducted_once_on_a_later_statement(stmt):
    stmt.budget()
    a = stmt.settle(assistance="1000.00")
    stmt.settle(assistance="500.00")
    stmt.generate()
    stmt.claim(settlements=2, total="1500.00")
    september = _approve(stmt, stmt.statement())
    assert september.status == "approved"
    stmt.reverse(a, on=D(2025, 10, 5))
    assert stmt.generate().added == {"statements": 0, "settlements": 0, "reversals": 0, "carried": 0, "taken_off": 0,
                                     "emptied": 0, "waiting": 0}          # September's statement is not touched
    assert stmt.statement().net_total == Decimal("1500.00")
    stmt.settle(assistance="300.00", on=D(2025, 10, 20))
    stmt.clock.set(D(2025, 11, 3))
    run = stmt.generate("2025-10")
    assert run.added["reversals"] == 1
    october = stmt.statement(month=D(2025, 10, 1))
    assert (october.settlements_count, october.assistance_total, october.reversals_count, october.reversals_total,
            october.net_total) == (1, Decimal("300.00"), 1, Decimal("1000.00"), Decimal("-700.00"))
    assert Settlement.objects.get(pk=a.pk).statement_id == september.pk     # still on the statement that paid it
    assert Settlement.objects.get(pk=a.pk).reversal_statement_id == october.pk
    assert stmt.generate("2025-10").added["reversals"] == 0                 # deducted once
    stmt.claim(month="2025-10", settlements=1, total="300.00")
    october = statements.approve_statement(actor=stmt.posts.county_leader, statement_id=october.pk, on=D(2025, 11, 4))
    assert october.status == "carried" and october.charged_amount == 0     # nothing to pay, nothing charged
    assert BudgetCharge.objects.filter(source_key=str(october.pk)).count() == 0
    # November's statement takes the deficit.
    stmt.settle(assistance="2000.00", on=D(2025, 11, 8))
    stmt.clock.set(D(2025, 12, 2))
    stmt.generate("2025-11")
    november = stmt.statement(month=D(2025, 11, 1))
    assert (november.carried_total, november.net_total) == (Decimal("-700.00"), Decimal("1300.00"))
    assert MedicalStatement.objects.get(pk=october.pk).carried_into_id == november.pk
    assert stmt.generate("2025-11").added["carried"] == 0


def test_a_settlement_reversed_before_it_is_paid_is_on_no_statement(stmt):
    gone = stmt.reverse(stmt.settle(assistance="800.00"), on=D(2025, 9, 20))
    kept = stmt.settle(assistance="200.00")
    stmt.generate()
    assert Settlement.objects.get(pk=gone.pk).statement_id is None
    assert stmt.statement().assistance_total == Decimal("200.00")
    # Reversed while its statement is open: approval waits for the month to be generated again,
    # which takes it off.
    stmt.claim(settlements=1, total="200.00")
    stmt.reverse(kept, on=D(2025, 10, 9))
    with pytest.raises(Conflict) as error:
        _approve(stmt, stmt.statement())
    assert error.value.code == "statement_changed"
    run = stmt.generate()
    assert run.added["taken_off"] == 1 and run.added["emptied"] == 1
    assert not MedicalStatement.objects.exists() and Settlement.objects.get(pk=kept.pk).statement_id is None


def test_a_late_settlement_never_joins_an_approved_statement(stmt):
    stmt.budget()
    stmt.settle(assistance="400.00")
    stmt.generate()
    stmt.claim(settlements=1, total="400.00")
    _approve(stmt, stmt.statement())
    late = stmt.settle(assistance="60.00", on=D(2025, 9, 28))
    run = stmt.generate()
    assert run.added["settlements"] == 0 and run.added["waiting"] == 1
    assert stmt.statement().assistance_total == Decimal("400.00")
    stmt.clock.set(D(2025, 11, 1))
    stmt.generate("2025-10")
    assert Settlement.objects.get(pk=late.pk).statement.month == D(2025, 10, 1)


# ---------------------------------------------------------------------------------------------
# Claims and reconciliation
# ---------------------------------------------------------------------------------------------
def test_a_matching_claim_reconciles_the_statement(stmt):
    a = stmt.settle(assistance="1000.00", visit="ZY001")
    b = stmt.settle(assistance="234.56", visit="ZY002")
    visits = [{"visit_number": "ZY001", "assistance": "1000.00"}, {"visit_number": "ZY002", "assistance": "234.56"}]
    claim = stmt.claim(settlements=2, total="1234.56", visits=visits)   # before the statement: kept
    assert claim.statement is None and not claim.replaced
    stmt.generate()                                                     # compared at once
    statement = stmt.statement()
    assert statement.status == "reconciled" and statement.differences == {}
    assert (statement.claimed_count, statement.claimed_total) == (2, Decimal("1234.56"))
    assert a.pk and b.pk


def test_each_kind_of_difference_is_listed(stmt):
    stmt.settle(assistance="1000.00", visit="ZY001")
    stmt.settle(assistance="200.00", visit="ZY002")
    stmt.settle(assistance="50.00", visit="ZY003")                      # not claimed
    stmt.reverse(stmt.settle(assistance="70.00", visit="ZY009"), on=D(2025, 9, 25))
    stmt.settle(assistance="80.00", visit="ZY010", on=D(2025, 8, 30))   # stated in August below
    stmt.clock.set(D(2025, 9, 5))
    stmt.generate("2025-08")
    stmt.clock.set(D(2025, 10, 10))
    stmt.generate()
    claim = stmt.claim(settlements=5, total="1420.00", visits=[
        {"visit_number": "ZY001", "assistance": "1000.00"},
        {"visit_number": "ZY002", "assistance": "210.00"},                # amount differs
        {"visit_number": "ZY404", "assistance": "60.00"},                 # no such settlement
        {"visit_number": "ZY009", "assistance": "70.00"},                 # reversed
        {"visit_number": "ZY010", "assistance": "80.00"}])                # on August's statement
    statement = claim.statement
    assert statement.status == "discrepant"
    d = statement.differences
    assert d["count"] == {"claimed": 5, "ours": 3}
    assert d["total"] == {"claimed": "1420.00", "ours": "1250.00"}
    assert d["amounts"] == {"count": 1, "visits": [{"visit_number": "ZY002", "claimed": "210.00", "ours": "200.00"}]}
    assert d["not_claimed"] == {"count": 1, "visits": [{"visit_number": "ZY003", "ours": "50.00"}]}
    why = {row["visit_number"]: row for row in d["not_ours"]["visits"]}
    assert d["not_ours"]["count"] == 3
    assert why["ZY404"]["why"] == "unknown"
    assert why["ZY009"] == {"visit_number": "ZY009", "claimed": "70.00", "why": "reversed", "on": "2025-09-25"}
    assert why["ZY010"]["why"] == "other_statement" and why["ZY010"]["month"] == "2025-08"
    assert statements.why_label(why["ZY009"]) == "reversed on 2025-09-25"
    # Totals only: the counts and totals are compared.
    claim = stmt.claim(settlements=3, total="1250.00")
    assert claim.replaced and claim.statement.status == "reconciled" and claim.statement.differences == {}
    assert MedicalClaim.objects.get().submissions == 2 and not MedicalClaim.objects.get().visits.exists()


def test_a_claim_is_checked_and_closed_once_the_statement_is_approved(stmt):
    stmt.budget()
    stmt.settle(assistance="100.00", visit="ZY001")
    stmt.generate()
    with pytest.raises(ValidationError) as error:
        stmt.claim(settlements=2, total="100.00", visits=[{"visit_number": "ZY001", "assistance": "100.00"}])
    assert error.value.code == "visits_do_not_add_up"
    with pytest.raises(ValidationError) as error:
        stmt.claim(settlements=2, total="200.00", visits=[{"visit_number": "ZY001", "assistance": "100.00"},
                                                          {"visit_number": " ZY001", "assistance": "100.00"}])
    assert error.value.code == "bad_visits" and "listed twice" in error.value.message
    with pytest.raises(ValidationError) as error:
        stmt.claim(settlements=1, total="100.001")
    assert error.value.field == "assistance_total"
    with pytest.raises(ValidationError) as error:
        stmt.claim(month="2025-10", settlements=1, total="100.00")
    assert error.value.code == "month_not_ended"
    assert not MedicalClaim.objects.exists()
    stmt.claim(settlements=1, total="100.00")
    _approve(stmt, stmt.statement())
    with pytest.raises(Conflict) as error:
        stmt.claim(settlements=1, total="90.00")
    assert error.value.code == "claim_closed"
    assert MedicalClaim.objects.get().assistance_total == Decimal("100.00")


def test_without_a_claim_the_leader_approves_with_a_note(stmt):
    stmt.budget()
    stmt.settle(assistance="100.00")
    stmt.generate()
    with pytest.raises(Conflict) as error:        # not compared yet
        _approve(stmt, stmt.statement())
    assert error.value.code == "not_reconciled"
    statement = statements.reconcile_statement(actor=stmt.posts.officer, statement_id=stmt.statement().pk)
    assert statement.status == "discrepant" and statement.differences == {"no_claim": True}
    with pytest.raises(ValidationError) as error:
        _approve(stmt, statement)
    assert error.value.field == "note" and error.value.code == "note_required"
    statement = _approve(stmt, statement, note="医院未报送 以系统结算为准")
    assert statement.status == "approved" and statement.approval_note == "医院未报送 以系统结算为准"
    with pytest.raises(Conflict) as error:
        statements.reconcile_statement(actor=stmt.posts.officer, statement_id=statement.pk)
    assert error.value.code == "statement_frozen"


# ---------------------------------------------------------------------------------------------
# Approval: maker-checker and the budget
# ---------------------------------------------------------------------------------------------
def test_the_generator_does_not_approve(stmt, make_actor):
    stmt.budget()
    stmt.settle(assistance="100.00")
    both = replace(stmt.posts.county_leader, permissions=stmt.posts.county_leader.permissions | {"medical.statements"})
    stmt.generate(actor=both)
    stmt.claim(settlements=1, total="100.00")
    statement = stmt.statement()
    with pytest.raises(PermissionDenied) as error:
        statements.approve_statement(actor=both, statement_id=statement.pk, on=D(2025, 10, 12))
    assert error.value.code == "maker_checker"
    with pytest.raises(PermissionDenied):          # the county officer holds no approval
        statements.approve_statement(actor=stmt.posts.officer, statement_id=statement.pk, on=D(2025, 10, 12))
    with pytest.raises(IntegrityError), transaction.atomic():
        MedicalStatement.objects.filter(pk=statement.pk).update(approved_by_id=statement.generated_by_id)
    other = make_actor("county_leader", COUNTY)
    assert statements.approve_statement(actor=other, statement_id=statement.pk, on=D(2025, 10, 12)).status == "approved"


def test_approval_charges_the_countys_medical_budget(stmt):
    line = stmt.budget("5000.00")
    stmt.settle(assistance="1200.00")
    stmt.generate()
    stmt.claim(settlements=1, total="1200.00")
    statement = _approve(stmt, stmt.statement())
    charge = BudgetCharge.objects.get()
    assert (charge.line_id, charge.amount, charge.source_kind, charge.source_key, charge.area_id) == (
        line.pk, Decimal("1200.00"), "medical_statement", str(statement.pk), COUNTY)
    assert statement.charged_amount == Decimal("1200.00") and statement.approved_by_username == stmt.posts.county_leader.username
    with pytest.raises(Conflict):
        _approve(stmt, statement)


def test_approval_is_refused_without_a_budget_line_or_past_it(stmt):
    stmt.settle(assistance="1200.00")
    stmt.generate()
    stmt.claim(settlements=1, total="1200.00")
    with pytest.raises(ValidationError) as error:
        _approve(stmt, stmt.statement())
    assert error.value.code == "no_budget_line" and "medical assistance" in error.value.message
    assert stmt.statement().status == "reconciled" and not BudgetCharge.objects.exists()
    stmt.budget("1000.00")
    with pytest.raises(Conflict) as error:
        _approve(stmt, stmt.statement())
    assert error.value.code == "budget_overrun"
    assert stmt.statement().status == "reconciled"
    statement = statements.approve_statement(actor=stmt.posts.county_leader, statement_id=stmt.statement().pk,
                                             overrun_reason="年底集中结算", on=D(2025, 10, 12))
    assert statement.status == "approved" and BudgetCharge.objects.get().overrun.reason == "年底集中结算"


# ---------------------------------------------------------------------------------------------
# Payment through the bank
# ---------------------------------------------------------------------------------------------
def _approved_month(stmt):
    stmt.budget()
    stmt.settle(assistance="1000.00")
    stmt.settle(stmt.centre, assistance="300.00")
    run = stmt.generate()
    stmt.claim(settlements=1, total="1000.00")
    stmt.claim(stmt.centre, settlements=1, total="300.00")
    return run


def test_the_run_is_exported_once_every_statement_is_approved(stmt):
    run = _approved_month(stmt)
    _approve(stmt, stmt.statement())
    with pytest.raises(Conflict) as error:
        statements.export_payment_run(actor=stmt.posts.officer, run_id=run.pk)
    assert error.value.code == "statements_not_approved" and "正定镇卫生院" in error.value.message
    _approve(stmt, stmt.statement(stmt.centre))
    with pytest.raises(PermissionDenied):
        statements.export_payment_run(actor=stmt.posts.county_leader, run_id=run.pk)
    summary = statements.export_payment_run(actor=stmt.posts.officer, run_id=run.pk)
    assert summary["files_count"] == 2 and summary["files_total"] == "1300.00"
    assert statements.export_payment_run(actor=stmt.posts.officer, run_id=run.pk) == summary   # again: the same
    path = statements.exported_file(actor=stmt.posts.officer, run_id=run.pk, name=f"{run.code}-abc.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")                                 # the BOM offices' Excel needs
    hospital = stmt.statement()
    assert raw.decode("utf-8-sig").splitlines() == ["account,name,amount,reference",
                                                   f"6228480010000000001,正定县人民医院,1000.00,{hospital.reference}"]
    centre = stmt.statement(stmt.centre)
    assert centre.account_name == "正定镇卫生院"                               # no account name: the institution's
    assert {s.status for s in MedicalStatement.objects.all()} == {"exported"}
    with pytest.raises(Conflict):                                            # sent: no late statement joins it
        stmt.generate()


def test_the_banks_returns_mark_statements_paid_or_failed(stmt):
    run = _approved_month(stmt)
    _approve(stmt, stmt.statement())
    _approve(stmt, stmt.statement(stmt.centre))
    statements.export_payment_run(actor=stmt.posts.officer, run_id=run.pk)
    hospital, centre = stmt.statement(), stmt.statement(stmt.centre)
    wrong = returns_file([(hospital.reference, "999.00", "paid", "")])
    with pytest.raises(ValidationError) as error:
        statements.import_payment_returns(actor=stmt.posts.officer, run_id=run.pk, file=wrong, filename="r.csv")
    assert error.value.code == "bad_returns"
    result = statements.import_payment_returns(actor=stmt.posts.officer, run_id=run.pk, filename="r.csv", file=returns_file(
        [(hospital.reference, "1000.00", "paid", ""), (centre.reference, "300.00", "failed", "账户冻结")]))
    assert (result.paid, result.failed, result.failed_amount, result.reconciled) == (1, 1, Decimal("300.00"), True)
    hospital, centre = stmt.statement(), stmt.statement(stmt.centre)
    assert hospital.status == "paid" and hospital.paid_at is not None
    assert centre.status == "failed" and centre.return_reason == "账户冻结" and centre.paid_at is None
    assert MedicalPaymentRun.objects.get(pk=run.pk).status == "reconciled"
    # The failed statement is paid with the county's next run, not charged again.
    stmt.settle(assistance="50.00", on=D(2025, 10, 3))
    stmt.clock.set(D(2025, 11, 2))
    october = stmt.generate("2025-10")
    stmt.claim(month="2025-10", settlements=1, total="50.00")
    statements.approve_statement(actor=stmt.posts.county_leader, statement_id=stmt.statement(month=D(2025, 10, 1)).pk,
                                 on=D(2025, 11, 3))
    summary = statements.export_payment_run(actor=stmt.posts.officer, run_id=october.pk)
    assert summary["paid_again"] == 1 and summary["files_count"] == 2 and summary["files_total"] == "350.00"
    centre = stmt.statement(stmt.centre)
    assert centre.run_id == october.pk and centre.status == "exported" and centre.reference.startswith(october.code)
    assert BudgetCharge.objects.filter(source_key=str(centre.pk)).count() == 1


def test_an_institution_without_a_bank_account_is_listed_not_paid(stmt):
    stmt.centre.bank_account = ""
    stmt.centre.save()
    run = _approved_month(stmt)
    _approve(stmt, stmt.statement())
    _approve(stmt, stmt.statement(stmt.centre))
    summary = statements.export_payment_run(actor=stmt.posts.officer, run_id=run.pk)
    assert (summary["files_count"], summary["no_account_count"], summary["no_account_total"]) == (1, 1, "300.00")
    assert stmt.statement(stmt.centre).status == "no_account"


# ---------------------------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------------------------
def test_posts_without_the_permission_or_outside_the_county_are_refused(stmt, make_actor):
    from safetynet.areas.models import Area

    stmt.settle(assistance="100.00")
    with pytest.raises(PermissionDenied):
        stmt.generate(actor=stmt.posts.worker)
    with pytest.raises(PermissionDenied):
        stmt.generate(actor=stmt.posts.inspector)
    Area.objects.create(code="130124", name="深泽县", level="county", parent_id=COUNTY[:4])
    stranger = make_actor("county_officer", "130124")
    with pytest.raises(NotFound):
        stmt.generate(actor=stranger)
    stmt.generate()
    statement = stmt.statement()
    with pytest.raises(NotFound):
        statements.reconcile_statement(actor=stranger, statement_id=statement.pk)
    with pytest.raises(NotFound):
        statements.approve_statement(actor=make_actor("county_leader", "130124"), statement_id=statement.pk)
    with pytest.raises(NotFound):
        statements.export_payment_run(actor=stranger, run_id=statement.run_id)
