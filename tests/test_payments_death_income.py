"""A member's death read from the public-security data (issue 15 item 3): the household is
re-assessed as it will be from the effective month, the member, his own income and his
increment leaving together; the proposal shows both sides (members, counted income, amount)
on the page where the town confirms it."""
from decimal import Decimal

from django.urls import reverse

from safetynet.enrollments import triggers
from safetynet.enrollments.models import ChangeProposal
from safetynet.registry.models import Person
from tests.payments_helpers import D, new_id, walk
from tests.conftest import COUNTY
from tests.verification_helpers import import_rows


def _household_with_a_pensioner(worker, village_code):
    """Head (55, wages ¥900), his mother (75, pension ¥300), a child of 10; urban standard ¥900:
    per-capita 400, gap 500 × 3 = 1,500, the mother's and the child's increments 2 × 270:
    ¥2,040.00 a month."""
    from safetynet.registry.services import create_household, set_income_items

    household = create_household(actor=worker, area_code=village_code, address="测试村养老路1号",
                                 registration_type="rural", bank_account="621700001000099999", members=[
        {"name": "赵大山", "id_number": new_id(D(1970, 3, 1)), "relation_to_head": "head"},
        {"name": "钱老太", "id_number": new_id(D(1950, 2, 1), sex="female"), "relation_to_head": "parent"},
        {"name": "赵小宝", "id_number": new_id(D(2015, 1, 10)), "relation_to_head": "child"},
    ])
    mother = Person.objects.get(household=household, relation_to_head="parent")
    set_income_items(actor=worker, household_id=household.pk, items=[
        {"category": "wages", "monthly_amount": "900.00", "person_id": household.head_id, "description": "打零工"},
        {"category": "pension", "monthly_amount": "300.00", "person_id": mother.pk, "description": "养老金"}])
    return household, mother


def _death_proposed(p, clock):
    household, mother = _household_with_a_pensioner(p.posts.worker, p.village.code)
    case = walk(p.posts, household, clock)
    enrollment = case.enrollments.get()
    assert enrollment.monthly_amount == Decimal("2040.00")
    import_rows(p.posts.officer, "public_security_deaths",
                [{"id_number": mother.id_number, "name": mother.name, "death_date": "2025-11-05"}])
    clock.set(D(2025, 11, 20))
    triggers.run_triggers(actor=p.posts.officer, county_code=COUNTY)
    return enrollment, mother, ChangeProposal.objects.get(enrollment=enrollment)


def test_a_death_takes_the_members_income_and_increment_with_him(payroll, clock, vdata):
    enrollment, mother, proposal = _death_proposed(payroll, clock)
    # Without her and her pension: 900 ÷ 2 = 450, gap 450 × 2 = 900, the child's 270: ¥1,170.00
    # (counting her pension with the head gave 600 per head and ¥870.00).
    assert (proposal.effective_month, proposal.current_amount, proposal.proposed_amount) == (
        D(2025, 12, 1), Decimal("2040.00"), Decimal("1170.00"))
    sides = proposal.assessment["sides"]
    assert sides["before"] == {"members": 3, "income": "1200.00", "amount": "2040.00"}
    assert sides["after"] == {"members": 2, "income": "900.00", "amount": "1170.00"}
    confirmed = triggers.confirm_proposal(actor=payroll.posts.worker, proposal_id=proposal.pk)
    assert confirmed.proposed_amount == Decimal("1170.00")
    enrollment.refresh_from_db()
    assert enrollment.monthly_amount == Decimal("1170.00")


def test_the_proposal_shows_the_household_before_and_after(client, payroll, clock, vdata):
    from django.contrib.auth import get_user_model

    _enrollment, _mother, proposal = _death_proposed(payroll, clock)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(get_user_model().objects.get(pk=payroll.posts.worker.user_id))
    page = client.get(reverse("changes:queue")).content.decode()
    row = page[page.index(f'id="proposal-{proposal.pk}"'):]
    row = row[:row.index("</details>")]
    assert "Before: 3 members, counted income ¥1,200.00, ¥2,040.00 a month" in row
    assert "After: 2 members, counted income ¥900.00, ¥1,170.00 a month" in row
    assert "Gap × 2 members" in row      # the rule's own breakdown of the new amount


def test_the_simulation_and_the_restandard_leave_a_dead_members_income_out(payroll, clock):
    """After the death is confirmed the registry keeps his income rows; the set-based facts of the
    policy simulation (and of the re-assessment after a standard change) count them no more than
    a case's snapshot does."""
    from safetynet.cases.snapshots import facts_from_snapshot, take_household_snapshot
    from safetynet.enrollments import restandard
    from safetynet.enrollments.simulation import chunk_facts
    from safetynet.registry.services import update_member

    household, mother = _household_with_a_pensioner(payroll.posts.worker, payroll.village.code)
    update_member(actor=payroll.posts.worker, person_id=mother.pk, is_deceased=True)
    month = D(2025, 11, 1)
    [(_id, _area, facts)] = list(chunk_facts([(household.pk, household.area_id)], {payroll.village.code: True}, month))
    assert sum(m.monthly_income for m in facts.members) == Decimal("900.00") == sum(
        m.monthly_income for m in facts_from_snapshot(take_household_snapshot(household), month).members)
    income, _heads = restandard.covered_incomes([household.pk])
    assert income[household.pk] == {household.head_id: Decimal("900.00")}


def test_the_proposal_reads_in_chinese(client, payroll, clock, vdata):
    from django.contrib.auth import get_user_model

    _death_proposed(payroll, clock)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    client.force_login(get_user_model().objects.get(pk=payroll.posts.worker.user_id))
    page = client.get(reverse("changes:queue")).content.decode()
    assert "变更前：3 人，计算收入 ¥1,200.00，每月 ¥2,040.00" in page and "变更后：2 人" in page
    assert "新金额的计算过程" in page
