"""Purchased services charged to the budget (issue 19 parts 3–5): a month's provider statement goes
to the purchased-services line of the area it was bought for, once; with no line, or past the
line without a leader's approval, it is refused with its reason and stays due; a project tranche
is charged the same way."""
from __future__ import annotations

from decimal import Decimal

import pytest

from safetynet.core.errors import PermissionDenied
from safetynet.funding import budgets, purchases
from safetynet.funding.models import BudgetCharge
from safetynet.services import statements, tasks
from safetynet.services.models import ProviderStatement
from safetynet.services.tasks import WorkRef
from tests.conftest import COUNTY
from tests.services_helpers import give, valid_uscc, world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def _accepted(w, *cases):
    done = give(w, [WorkRef("case", c.pk) for c in cases])
    for r in done:
        tasks.submit_task(actor=w.worker_actor, task_id=r.task.pk)
        tasks.accept_task(actor=w.posts.officer, task_id=r.task.pk)


def test_a_statement_is_charged_once_to_the_purchased_services_line(world):
    w = world
    officer = w.posts.officer
    month = w.clock().strftime("%Y-%m")
    _accepted(w, w.case, w.case2)
    result = purchases.charge_purchased_services(actor=officer, county_code=COUNTY, month=month)
    assert result.charged == [] and len(result.refused) == 1
    assert result.refused[0]["code"] == "no_budget_line" and "purchased services" in result.refused[0]["reason"]
    assert ProviderStatement.objects.get().payment_status == "due"       # still owed, nothing charged

    budgets.set_budget_line(actor=officer, year=w.clock().year, area_code=COUNTY, kind="purchased_services", amount="170.00")
    result = purchases.charge_purchased_services(actor=officer, county_code=COUNTY, month=month)
    assert [(r["source"], r["amount"]) for r in result.charged] == [("provider_statement", Decimal("160.00"))]
    assert result.charged[0]["warning"]                                    # 160 of 170: past the 90 % warning
    statement = ProviderStatement.objects.get()
    charge = BudgetCharge.objects.get()
    assert statement.payment_status == "charged" and statement.charge_reference == f"budget charge {charge.pk}"
    assert charge.amount == Decimal("160.00") and charge.line.kind == "purchased_services"

    again = purchases.charge_purchased_services(actor=officer, county_code=COUNTY, month=month)
    assert again.charged == [] and again.refused == [] and BudgetCharge.objects.count() == 1


def test_past_the_line_it_waits_for_the_leaders_approval(world):
    w = world
    officer = w.posts.officer
    month = w.clock().strftime("%Y-%m")
    _accepted(w, w.case)
    budgets.set_budget_line(actor=officer, year=w.clock().year, area_code=COUNTY, kind="purchased_services", amount="50.00")
    refused = purchases.charge_purchased_services(actor=officer, county_code=COUNTY, month=month).refused
    assert [r["code"] for r in refused] == ["budget_overrun"] and BudgetCharge.objects.count() == 0
    [due] = statements.statements_due(COUNTY, month)
    budgets.approve_overrun(actor=w.posts.county_leader, area_code=COUNTY, year=w.clock().year, kind="purchased_services",
                            source_kind=purchases.PROVIDER_STATEMENT, source_key=str(due.statement_id),
                            amount="80.00", reason="年底集中验收")
    charged = purchases.charge_purchased_services(actor=officer, county_code=COUNTY, month=month).charged
    assert [r["amount"] for r in charged] == [Decimal("80.00")]
    assert BudgetCharge.objects.get().approved_by_id == w.posts.county_leader.user_id


def test_only_a_post_that_keeps_budgets_charges_them(world):
    with pytest.raises(PermissionDenied):
        purchases.charge_purchased_services(actor=world.posts.worker, county_code=COUNTY,
                                            month=world.clock().strftime("%Y-%m"))
