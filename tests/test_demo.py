"""The demo county generator: reproducible, valid and realistic enough to demonstrate with."""
from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, F

from safetynet.areas.actors import system_actor
from safetynet.areas.models import Area, Level, Post
from safetynet.areas.roles import Role
from safetynet.core.errors import PermissionDenied
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.models import AuditEvent
from safetynet.demo.generator import (
    ASSET_LIMIT_MONTHS, DEFAULT_PASSWORD, DEMO_STAFF, DEMO_STANDARD, NEARBY_COUNTIES, generate_demo_county,
)
from safetynet.demo.models import DemoNote
from safetynet.registry.models import (
    FINANCIAL_ASSETS, INVERSE_KINSHIP, Asset, Household, IncomeItem, Kinship, Person,
)

COUNTY = "130123"


def generate(people: int, seed: int = 7, **kwargs):
    return generate_demo_county(actor=system_actor(), people=people, seed=seed, **kwargs)


@pytest.fixture
def demo(db):
    return generate(2000)


def registry_digest() -> str:
    h = hashlib.sha256()
    for row in Person.objects.order_by("id").values_list("id", "household_id", "area_id", "name", "id_number", "birth_date",
                                                          "relation_to_head", "disability_type", "work_ability"):
        h.update(repr(row).encode())
    for row in Household.objects.order_by("id").values_list("id", "head_id", "area_id", "address", "registration_type"):
        h.update(repr(row).encode())
    for model, fields in ((Kinship, ("person_id", "relative_id", "relation")),
                          (IncomeItem, ("household_id", "person_id", "category", "monthly_amount")),
                          (Asset, ("household_id", "category", "value"))):
        for row in model.objects.order_by(*fields).values_list(*fields):
            h.update(repr(row).encode())
    for row in get_user_model().objects.order_by("username").values_list("username", "first_name", "last_name"):
        h.update(repr(row).encode())
    return h.hexdigest()


def wipe_demo():
    Kinship.objects.all().delete()
    IncomeItem.objects.all().delete()
    Asset.objects.all().delete()
    Household.objects.update(head=None)
    Person.objects.all().delete()
    Household.objects.all().delete()
    Post.objects.all().delete()
    # No cascade collection: other apps' tables that point at users are empty here.
    users = get_user_model().objects.all()
    users._raw_delete(users.db)
    DemoNote.objects.all().delete()
    Area.objects.filter(level=Level.GRID).delete()
    Area.objects.filter(level=Level.GROUP).delete()


def test_same_seed_gives_the_same_county_and_another_seed_does_not(db):
    generate(600, seed=11)
    first = registry_digest()
    wipe_demo()
    generate(600, seed=11)
    assert registry_digest() == first
    wipe_demo()
    generate(600, seed=12)
    assert registry_digest() != first


def test_exactly_the_requested_people_plus_the_staff_residents(demo):
    staff_ids = [entry["person_id"] for entry in DemoNote.objects.get(key="staff").value.values()]
    staff_households = Person.objects.filter(pk__in=staff_ids).values("household_id")
    staff_people = Person.objects.filter(household_id__in=staff_households).count()
    assert 0 < staff_people < 20
    assert Person.objects.count() == 2000 + staff_people
    assert demo.people == Person.objects.count()
    assert demo.households == Household.objects.count()


def test_every_id_number_is_valid_and_agrees_with_the_person(demo):
    prefixes = Counter()
    for number, sex, birth_date in Person.objects.values_list("id_number", "sex", "birth_date"):
        parsed = parse_id_number(number)
        assert parsed.number == number
        assert parsed.sex == sex
        assert parsed.birth_date == birth_date
        assert parsed.area_prefix == COUNTY or parsed.area_prefix in NEARBY_COUNTIES
        prefixes[parsed.area_prefix == COUNTY] += 1
    assert Person.objects.values("id_number").distinct().count() == Person.objects.count()
    assert 0.01 < prefixes[False] / Person.objects.count() < 0.15  # some in-migrants, most born here


def test_every_household_has_exactly_one_head_who_lives_there(demo):
    heads = Person.objects.filter(relation_to_head="head").values("household_id").annotate(n=Count("id"))
    assert {row["n"] for row in heads} == {1}
    assert heads.count() == Household.objects.count()
    assert not Household.objects.filter(head__isnull=True).exists()
    assert not Household.objects.exclude(head__household_id=F("id")).exists()
    assert not Household.objects.exclude(head__relation_to_head="head").exists()
    # a person's area is the household's area (scope needs no join)
    assert not Person.objects.exclude(area_id=F("household__area_id")).exists()


def test_households_live_in_groups_and_grids_of_real_villages(demo):
    assert not Household.objects.exclude(area__level__in=[Level.GROUP, Level.GRID]).exists()
    villages = {a.code: a for a in Area.objects.filter(level=Level.VILLAGE)}
    assert len(villages) == 187
    groups = Counter(Area.objects.filter(level=Level.GROUP).values_list("parent_id", flat=True))
    assert set(groups) == set(villages) and min(groups.values()) >= 3 and max(groups.values()) <= 8
    grids = Counter(Area.objects.filter(level=Level.GRID).values_list("parent_id", flat=True))
    assert min(grids.values()) >= 1 and max(grids.values()) <= 3
    for household in Household.objects.select_related("area")[:300]:
        village = villages[household.area_id[:12]]
        assert household.registration_type == ("urban" if village.is_urban else "rural")
        assert household.address[:2] == village.name[:2] and "号" in household.address


def test_household_sizes_and_ages_look_like_a_county(demo):
    sizes = list(Household.objects.annotate(n=Count("members")).values_list("registration_type", "n"))
    mean = sum(n for _t, n in sizes) / len(sizes)
    assert 2.3 <= mean <= 3.0
    rural = [n for t, n in sizes if t == "rural"]
    urban = [n for t, n in sizes if t == "urban"]
    assert sum(rural) / len(rural) > sum(urban) / len(urban)
    assert max(n for _t, n in sizes) >= 6 and min(n for _t, n in sizes) == 1
    relations = Counter(Person.objects.values_list("relation_to_head", flat=True))
    for relation in ("head", "spouse", "child", "parent", "grandchild", "child_in_law"):
        assert relations[relation] > 0, relation


def test_work_ability_agrees_with_age_and_disability(demo):
    from safetynet.demo.generator import REFERENCE_DATE, age_on

    for birth, work, dtype, grade, ill in Person.objects.values_list("birth_date", "work_ability", "disability_type",
                                                                       "disability_grade", "serious_illness"):
        age = age_on(birth, REFERENCE_DATE)
        assert bool(dtype) == (grade is not None)
        if age < 16 or age >= 70 or (grade is not None and grade <= 2):
            assert work == "none"
        elif grade is None and not ill and 16 <= age < 60:
            assert work == "full"
    assert Person.objects.exclude(disability_type="").count() > 20
    assert Person.objects.filter(serious_illness=True).count() > 5


def test_kinship_is_symmetric_and_across_households(demo):
    rows = list(Kinship.objects.values_list("person_id", "relative_id", "relation", "person__household_id", "relative__household_id"))
    assert len(rows) > 100
    links = {(p, r): relation for p, r, relation, _h1, _h2 in rows}
    for person, relative, relation, household, relative_household in rows:
        assert household != relative_household
        assert links[(relative, person)] == INVERSE_KINSHIP[relation]
    assert {row[2] for row in rows} >= {"parent", "child", "sibling"}


def test_a_few_percent_of_households_are_under_the_standard(demo):
    members = dict(Household.objects.annotate(n=Count("members")).values_list("id", "n"))
    registration = dict(Household.objects.values_list("id", "registration_type"))
    counted = defaultdict(Decimal)
    for household_id, amount in IncomeItem.objects.exclude(category__startswith="excluded_").values_list("household_id", "monthly_amount"):
        counted[household_id] += amount
    financial, homes, barred = defaultdict(Decimal), Counter(), set()
    for household_id, category, value, quantity in Asset.objects.values_list("household_id", "category", "value", "quantity"):
        if category in FINANCIAL_ASSETS:
            financial[household_id] += value
        elif category == "home":
            homes[household_id] += quantity
        elif category in ("vehicle", "non_residential", "business"):
            barred.add(household_id)
    under = 0
    for household_id, n in members.items():
        standard = DEMO_STANDARD[registration[household_id]]
        if (counted[household_id] / n < standard and financial[household_id] <= ASSET_LIMIT_MONTHS * standard * n
                and homes[household_id] <= 1 and household_id not in barred):
            under += 1
    share = under / len(members)
    assert 0.01 <= share <= 0.12, share
    assert under == demo.under_standard


def test_every_role_has_a_login_and_one_login_has_two_posts(demo):
    User = get_user_model()
    roles = set(Post.objects.values_list("role", flat=True))
    assert roles >= {Role.GRID_WORKER, Role.VILLAGE_CADRE, Role.TOWN_WORKER, Role.TOWN_LEADER, Role.COUNTY_OFFICER,
                     Role.COUNTY_LEADER, Role.INSPECTOR, Role.PROVIDER_WORKER}
    for username, role, _where in DEMO_STAFF:
        user = User.objects.get(username=username)
        assert user.check_password(DEFAULT_PASSWORD)
        assert user.first_name and user.last_name and not user.first_name.isascii()
        assert Post.objects.filter(user=user, role=role).exists()
    town_worker2 = Post.objects.filter(user__username="town_worker2").order_by("area_id")
    assert [p.area_id for p in town_worker2] == ["130123100", "130123102"]
    assert Post.objects.get(user__username="town_worker").area_id == "130123100"
    assert Post.objects.get(user__username="county_officer").area_id == COUNTY
    assert Post.objects.get(user__username="grid_worker").area.level == Level.GRID
    assert Post.objects.get(user__username="village_cadre").area.level == Level.VILLAGE


def test_some_staff_are_residents_with_a_relative_in_another_household(demo):
    staff = DemoNote.objects.get(key="staff").value
    assert {"village_cadre", "grid_worker", "town_worker"} <= set(staff)
    for username, entry in staff.items():
        person = Person.objects.get(pk=entry["person_id"])
        assert person.id_number == entry["id_number"]
        user = get_user_model().objects.get(username=username)
        assert person.name == user.last_name + user.first_name
        link = Kinship.objects.get(person=person, relative_id=entry["relative_person_id"])
        assert link.relative.household_id != person.household_id
        assert Kinship.objects.filter(person_id=entry["relative_person_id"], relative=person).exists()
    cadre = staff["village_cadre"]
    assert Person.objects.get(pk=cadre["relative_person_id"]).area_id.startswith(
        Post.objects.get(user__username="village_cadre").area_id)


def test_one_audit_event_records_the_counts(db):
    before = AuditEvent.objects.filter(action="demo.generate").count()
    result = generate(300)
    events = AuditEvent.objects.filter(action="demo.generate")
    assert events.count() == before + 1
    after = events.order_by("-sequence").first().after
    assert after["households"] == result.households and after["people"] == result.people


def test_the_command_with_if_empty_does_nothing_the_second_time(db):
    out = StringIO()
    call_command("demo", "--people", "300", "--seed", "5", "--if-empty", "--no-activity", stdout=out)
    assert "households" in out.getvalue()
    counts = (Household.objects.count(), Person.objects.count(), Kinship.objects.count(), get_user_model().objects.count())
    events = AuditEvent.objects.count()
    out = StringIO()
    call_command("demo", "--people", "300", "--seed", "5", "--if-empty", "--no-activity", stdout=out)
    assert "nothing generated" in out.getvalue()
    assert (Household.objects.count(), Person.objects.count(), Kinship.objects.count(), get_user_model().objects.count()) == counts
    assert AuditEvent.objects.count() == events


def test_a_second_run_without_if_empty_appends_with_fresh_id_numbers(db):
    generate(300, seed=5)
    generate(300, seed=5)
    assert Person.objects.values("id_number").distinct().count() == Person.objects.count()
    assert Post.objects.filter(user__username="town_worker").count() == 1


def test_demo_logins_prints_every_login_with_its_area(db):
    generate(300, password="another-pass-1")
    out = StringIO()
    call_command("demo_logins", "--password", "another-pass-1", stdout=out)
    text = out.getvalue()
    for username, _role, _where in DEMO_STAFF:
        assert username in text
    assert "正定镇" in text and "130123100" in text and "another-pass-1" in text
    out = StringIO()
    call_command("demo_logins", "--password", "wrong-pass-123", stdout=out)
    assert "(changed)" in out.getvalue()


def test_only_a_post_that_may_import_areas_may_generate(county, make_actor):
    with pytest.raises(PermissionDenied):
        generate_demo_county(actor=make_actor("town_worker", "130123100"), people=10, seed=1)
    assert not Household.objects.exists()


def test_the_programs_see_the_same_demo_standards_the_households_were_drawn_with(db):
    from safetynet.programs.models import Parameter

    generate(100)
    values = dict(Parameter.objects.filter(area_id=COUNTY, key__in=["urban_standard", "rural_standard"],
                                           replaced_at__isnull=True).values_list("key", "value"))
    assert {key: int(Decimal(str(value))) for key, value in values.items()} == {
        "urban_standard": DEMO_STANDARD["urban"], "rural_standard": DEMO_STANDARD["rural"]}


def test_bank_cards_are_the_county_issuers_so_a_payroll_writes_one_file_per_bank(demo):
    from safetynet.payroll.banks import BANKS
    from safetynet.registry.models import Household

    accounts = list(Household.objects.exclude(bank_account="").values_list("bank_account", flat=True))
    assert accounts and all(len(a) == 19 and a[:6] in BANKS for a in accounts)
    assert len({a[:6] for a in accounts}) == len(BANKS)


# ---- the county in the middle of its month (safetynet/demo/activity.py) -------------------------

ACTING_LOGINS = ("village_cadre", "town_worker", "town_leader", "county_officer", "county_leader", "town_worker2")


def test_the_demo_command_leaves_every_post_real_work(db, settings, tmp_path):
    """`safetynet demo` runs a few months of an office's work through the services: every login
    that acts lands on a non-empty queue; cases stand at many steps; three payroll runs are
    reconciled and this month's is drafted; a verification run exists; a death in the
    department data waits as a change proposal; the staff register links every demo login."""
    from django.utils import translation

    from safetynet.areas.actors import actor_for_post
    from safetynet.areas.selectors import area_overview
    from safetynet.cases import pages
    from safetynet.cases.models import Case, SurveyInvestigator
    from safetynet.cases.selectors import cases_in_scope
    from safetynet.enrollments import change_views
    from safetynet.enrollments.change_models import ChangeProposal
    from safetynet.payroll.models import PayrollRun
    from safetynet.verification.models import VerificationRun
    from safetynet.workforce.models import StaffIdentity

    from safetynet.cases import clocks

    settings.DATA_DIR = tmp_path / "data"   # the snapshots, the runs and the bank files
    out = StringIO()
    call_command("demo", "--people", "2000", "--seed", "7", stdout=out)
    text = out.getvalue()
    for phase in ("staff:", "department data:", "history:", "verification:", "changes:", "this month:"):
        assert phase in text, phase   # a progress line per phase
    assert "refused:" not in text     # every step the demo takes is one the services accept

    translation.activate("en")
    for username in ACTING_LOGINS:
        actor = actor_for_post(Post.objects.filter(user__username=username).select_related("user", "area").order_by("id").first())
        lines = pages.home_queues(actor) + change_views.home_queues(actor)
        assert sum(line["count"] for line in lines) > 0, username
    grid = actor_for_post(Post.objects.select_related("user", "area").get(user__username="grid_worker"))
    assert area_overview(grid, grid.area_code)[0]["households"] > 0
    inspector = actor_for_post(Post.objects.select_related("user", "area").get(user__username="inspector"))
    assert cases_in_scope(inspector).exists()

    statuses = set(Case.objects.values_list("status", flat=True))
    assert statuses >= {"applied", "accepted", "town_reviewed", "in_notice", "contested", "deliberated", "notice_closed",
                        "confirmed", "refused", "paid_first", "verified"}, statuses
    assert set(Case.objects.values_list("program_id", flat=True)) == {"dibao", "special_hardship", "temporary", "medical"}
    assert Case.objects.filter(is_open=True, next_due__lt=clocks.today()).exists()   # some are overdue
    runs = list(PayrollRun.objects.order_by("month").values_list("status", flat=True))
    assert runs == ["reconciled", "reconciled", "reconciled", "generated"]
    assert PayrollRun.objects.get(status="generated").approved_by_id is None
    first = PayrollRun.objects.order_by("month").first()
    assert first.generated_by_username == "county_officer" and first.approved_by_username == "county_leader"
    assert VerificationRun.objects.filter(kind="cases", status="done").exists()
    assert ChangeProposal.objects.filter(status="pending", kind="death").exists()
    for username, _role, _where in DEMO_STAFF:
        if username not in ("provider_worker", "deputy"):   # a people's deputy is no assistance staff
            assert StaffIdentity.objects.filter(user__username=username, is_active=True).exists(), username
    assert StaffIdentity.objects.filter(kind="village_committee").count() >= 187
    # the logged-in worker is one of the survey's investigators, picked from the register
    assert SurveyInvestigator.objects.filter(user_id=get_user_model().objects.get(username="town_worker").pk).exists()
    # decided by one post, confirmed by another (four eyes)
    confirmed = Case.objects.filter(status="confirmed", program_id="dibao").first()
    actions = dict(confirmed.events.values_list("action", "actor_username"))
    assert actions["verify"] == "county_officer" and actions["confirm"] == "county_leader"

    # Same seed, same county: a fresh database in another process ends with the same cases, in the
    # same steps, and the same payroll (the digest the command prints).
    digest = DemoNote.objects.get(key="activity").value["digest"]
    assert f"digest {digest}" in text
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, SAFETYNET_DATA_DIR=str(tmp_path / "again"), DATABASE_URL=f"sqlite:///{tmp_path / 'again.sqlite3'}",
               PYTHONPATH=str(root), DJANGO_SETTINGS_MODULE="safetynet.settings")
    for command in (["migrate", "--no-input", "-v", "0"], ["demo", "--people", "2000", "--seed", "7"]):
        done = subprocess.run([sys.executable, str(root / "manage.py"), *command], env=env, cwd=root, capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert f"digest {digest}" in done.stdout, done.stdout[-1500:]
