"""The synthetic demo county: one real county's network, filled with households that look real.

`generate_demo_county` loads the committed division extract, adds groups and grids, then writes
households, people, kinship, declared income and assets, and one login per role. The same seed
gives the same data (ids, names, ID numbers, amounts), so a demo, a test and a benchmark can
talk about "household 1234" and mean the same family.

Speed is a requirement (issue 2: a million people in five minutes on two cores, SQLite), so
the people are written in chunks with one multi-row statement per table and chunk (executemany
on SQLite, COPY on PostgreSQL), with primary keys assigned up front: no query and no `save()`
per row. The ORM is used only for the few hundred areas and the staff logins.

Money figures below are *local demo figures*, not policy: the dibao standard used to make a
few percent of households eligible is ¥900 a month per person urban and ¥720 rural, about
what 正定县 (Shijiazhuang, Hebei) pays in 2025. They are the same figures the programs app
seeds as the county's demo standards (safetynet.programs.demo, set here too), so the rules see
the households the way they were drawn. The asset limit is the local default of POLICY.md §1
(financial assets up to 24 months of the standard per member; at most one home; no car,
non-residential property or registered business).
"""
from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from safetynet.areas.models import Area, Level, Post
from safetynet.areas.roles import Role
from safetynet.areas.services import import_divisions
from safetynet.core.audit import record_event
from safetynet.core.errors import ValidationError
from safetynet.core.idnumbers import make_id_number
from safetynet.core.scoping import Actor
from safetynet.core.statements import insert_many
from safetynet.programs.demo import DEMO_STANDARDS, seed_demo_standards
from safetynet.registry.models import Asset, Household, IncomeItem, Kinship, Person

from .models import DemoNote
from .names import chinese_number, name_pool

DIVISIONS_DIR = Path(__file__).resolve().parent.parent / "areas" / "data"
DEFAULT_PASSWORD = "demo-pass-2026"

# Ages are counted to a fixed day, not to today, so a seed gives the same people next year.
REFERENCE_DATE = dt.date(2026, 1, 1)
_REFERENCE_ORDINAL = REFERENCE_DATE.toordinal()

# Local demo figures (see the module docstring), in whole yuan per person per month.
DEMO_STANDARD = {"urban": int(DEMO_STANDARDS["urban_standard"]), "rural": int(DEMO_STANDARDS["rural_standard"])}
ASSET_LIMIT_MONTHS = 24  # POLICY.md §1, local default

# Real counties around 正定县 that in-migrants (mostly brides) were registered in at birth.
NEARBY_COUNTIES = ("130102", "130104", "130105", "130108", "130109", "130110", "130111",
                   "130125", "130126", "130131", "130184")

# One login per role; town_worker2 holds two posts to show switching between them.
# (username, role, where): where is resolved against the generated network.
DEMO_STAFF = (
    ("grid_worker", Role.GRID_WORKER, "grid"),
    ("village_cadre", Role.VILLAGE_CADRE, "village"),
    ("town_worker", Role.TOWN_WORKER, "town"),
    ("town_leader", Role.TOWN_LEADER, "town"),
    ("county_officer", Role.COUNTY_OFFICER, "county"),
    ("county_leader", Role.COUNTY_LEADER, "county"),
    ("inspector", Role.INSPECTOR, "county"),
    ("provider_worker", Role.PROVIDER_WORKER, "other_town"),
    ("town_worker2", Role.TOWN_WORKER, "town"),
    ("town_worker2", Role.TOWN_WORKER, "other_town"),
    ("supervisor", Role.SUPERVISOR, "county"),
    ("deputy", Role.INSPECTOR, "town"),
    ("social_worker", Role.PROVIDER_WORKER, "county"),     # a purchased service's social workers (issue 19)
    ("social_worker2", Role.PROVIDER_WORKER, "county"),
)
# Logins added after the county's first draws (issue 18) take their names from a random stream
# of their own, so that adding a login changes nothing else the seed gives.
OWN_STREAM_LOGINS = ("supervisor", "deputy", "social_worker", "social_worker2")
# Staff who are also residents of the county, each with a relative in another household.
STAFF_RESIDENTS = ("grid_worker", "village_cadre", "town_worker", "town_leader", "county_officer")

# Household kinds and how common they are (rural, urban); sizes average about 2.7 rural and
# 2.4 urban, 2.6 overall, as in the 2020 census.
KINDS = ("elderly_single", "elderly_couple", "single_adult", "couple", "nuclear", "single_parent",
         "three_generations", "with_elderly_parents")
_KIND_WEIGHTS = {
    "rural": (0.12, 0.14, 0.10, 0.14, 0.25, 0.04, 0.17, 0.04),
    "urban": (0.10, 0.14, 0.17, 0.16, 0.28, 0.05, 0.08, 0.02),
}
_KIND_CUMULATIVE = {k: list(itertools.accumulate(w)) for k, w in _KIND_WEIGHTS.items()}
# Chance that a household is under the standard, by kind, before the rural/urban and
# disability/illness factors; tuned so 3-6 % of all households qualify.
_POOR_BASE = {"elderly_single": 0.10, "elderly_couple": 0.05, "single_adult": 0.04, "couple": 0.02,
              "nuclear": 0.015, "single_parent": 0.09, "three_generations": 0.02, "with_elderly_parents": 0.02}

_DISABILITY_TYPES = ("physical", "hearing", "visual", "intellectual", "mental", "multiple", "speech")
_DISABILITY_TYPE_CUMULATIVE = list(itertools.accumulate((45, 20, 12, 7, 8, 7, 1)))
_DISABILITY_GRADE_CUMULATIVE = list(itertools.accumulate((12, 23, 30, 35)))
_PHONE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "157", "158", "159", "166", "176", "177", "180", "181", "182", "183", "185", "186", "187", "188", "199")
# Issuers of the county's social-security cards (payroll/banks.py) and their cumulative shares, %.
BANK_SHARES = (("623166", 35), ("622848", 65), ("621799", 80), ("621700", 90), ("621282", 100))

HOUSEHOLD_FIELDS = ["id", "area", "address", "registration_type", "head", "phone", "bank_account", "external_ref",
                    "created_at", "updated_at"]
PERSON_FIELDS = ["id", "household", "area", "name", "id_number", "sex", "birth_date", "relation_to_head",
                 "disability_type", "disability_grade", "serious_illness", "work_ability", "phone", "is_deceased",
                 "created_at", "updated_at"]
KINSHIP_FIELDS = ["person", "relative", "relation"]
INCOME_FIELDS = ["household", "person", "category", "monthly_amount", "description"]
ASSET_FIELDS = ["household", "person", "category", "value", "quantity", "description", "is_exempt"]


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years on `day` (the age a form asks for)."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


@dataclass
class DemoResult:
    households: int = 0
    people: int = 0
    groups: int = 0
    grids: int = 0
    kinships: int = 0
    income_items: int = 0
    assets: int = 0
    under_standard: int = 0
    staff: int = 0
    seconds: float = 0.0
    skipped: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


ProgressCallback = Callable[[DemoResult, bool], None]


def registry_has_households() -> bool:
    return Household.objects.exists()


def division_file(county_code: str) -> Path:
    path = DIVISIONS_DIR / f"divisions-{county_code}.csv"
    if not path.exists():
        raise ValidationError(f"No committed division extract for county {county_code} ({path.name}).", field="county")
    return path


def generate_demo_county(*, actor: Actor, people: int, seed: int, county_code: str = "130123",
                         password: str = DEFAULT_PASSWORD, if_empty: bool = False,
                         chunk_households: int = 20000, progress: ProgressCallback | None = None) -> DemoResult:
    """Build the demo county. With `if_empty`, do nothing when any household exists.

    Everything goes in one transaction with one audit event ("demo.generate"), so an
    interrupted run leaves no half county behind."""
    actor.require("areas.import")
    if people < 0:
        raise ValidationError("The number of people cannot be negative.", field="people")
    if if_empty and registry_has_households():
        return DemoResult(skipped=True)
    started = time.monotonic()
    path = division_file(county_code)
    with transaction.atomic():
        with path.open("rb") as f:
            imported = import_divisions(actor=actor, source=f, filename=path.name)
        if imported.errors:
            raise ValidationError(f"The division extract {path.name} has errors: {imported.errors[0].message}")
        builder = _CountyBuilder(county_code=county_code, seed=seed, chunk_households=chunk_households)
        result = builder.build_network()
        builder.build_people(people, result, progress, started)
        builder.build_staff(password, result)
        seed_demo_standards(actor=actor, county_code=county_code)
        result.seconds = round(time.monotonic() - started, 1)
        DemoNote.objects.update_or_create(key="generation", defaults={"value": {
            "county": county_code, "seed": seed, "requested_people": people, "reference_date": REFERENCE_DATE.isoformat(),
            "standard": DEMO_STANDARD, **result.as_dict()}})
        record_event(actor=actor, action="demo.generate", object_type="demo.county", object_id=county_code,
                     after={"seed": seed, "requested_people": people, **{k: v for k, v in result.as_dict().items()
                                                                       if k not in {"seconds", "skipped"}}})
    analyze_registry()
    result.seconds = round(time.monotonic() - started, 1)
    if progress:
        progress(result, True)
    return result


def analyze_registry() -> None:
    """Refresh the planner's statistics after a bulk load: without them the first searches on a
    new million-person database are planned blind. SQLite samples (analysis_limit) to stay
    within a few seconds."""
    tables = [m._meta.db_table for m in (Household, Person, Kinship, IncomeItem, Asset, Area)]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=2000")
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


# --------------------------------------------------------------------------------------------
# Writing rows in bulk
# --------------------------------------------------------------------------------------------

class _BulkWriter:
    """Multi-row inserts with column names taken from the models, so a renamed column cannot
    drift (core.statements.insert_many: executemany on SQLite, COPY on PostgreSQL)."""

    def insert(self, model, fields, rows):
        insert_many(model._meta.db_table, [model._meta.get_field(f).column for f in fields], rows)

    def reset_sequences(self, models):
        statements = connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


# --------------------------------------------------------------------------------------------
# The builder
# --------------------------------------------------------------------------------------------

@dataclass
class _Village:
    code: str
    name: str           # short name: 西关村, 恒东社区
    town: str
    registration: str   # "urban" | "rural"
    places: list = field(default_factory=list)  # [(area_code, group_name_for_address)]
    house_numbers: dict = field(default_factory=dict)


def _short_village_name(name: str) -> str:
    for suffix in ("居民委员会", "村民委员会", "委员会"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
            break
    if not name.endswith(("村", "社区", "居")):
        name += "村"
    return name


class _CountyBuilder:
    def __init__(self, *, county_code: str, seed: int, chunk_households: int):
        self.county = county_code
        self.seed = seed
        self.chunk_households = max(1, chunk_households)
        self.rnd = random.Random(f"{seed}:people")
        self.names = name_pool()
        self.writer = _BulkWriter()
        now = timezone.now()
        self.now = Household._meta.get_field("created_at").get_db_prep_value(now, connection)
        self.id_sequences: dict = {}
        self.elderly_by_town: dict[str, list] = {}
        self.staff_candidates: dict[str, list] = {}   # village -> [(person_id, age, sex, surname, household_id, poor)]
        self.villages: list[_Village] = []
        self.village_cumulative: list[float] = []

    # ---- network ----------------------------------------------------------------------------

    def build_network(self) -> DemoResult:
        """Groups (3-8 a village) and grids (1-3 a group) under each village, unless the
        village already has some; the villages' weights decide where households live."""
        rnd = random.Random(f"{self.seed}:areas")
        result = DemoResult()
        villages = list(Area.objects.filter(code__startswith=self.county, level=Level.VILLAGE).order_by("code"))
        existing: dict[str, list[Area]] = {}
        for area in Area.objects.filter(code__startswith=self.county, level__in=[Level.GROUP, Level.GRID]).order_by("code"):
            existing.setdefault(area.code[:12], []).append(area)
        to_create = []
        weights = []
        for village in villages:
            short = _short_village_name(village.name)
            registration = "urban" if village.is_urban else "rural"
            v = _Village(code=village.code, name=short, town=village.code[:9], registration=registration)
            group_count = rnd.randint(3, 8)
            grid_counts = [rnd.randint(1, 3) for _ in range(group_count)]
            if village.code in existing:
                children = existing[village.code]
                groups = {a.code: a.name for a in children if a.level == Level.GROUP}
                for a in children:
                    v.places.append((a.code, groups.get(a.code[:15], a.name)))
            else:
                for g in range(1, group_count + 1):
                    group_code = f"{village.code}{g:03d}"
                    group_name = f"{short}{chinese_number(g)}组" if registration == "rural" else f"{short}第{chinese_number(g)}居民小组"
                    to_create.append(Area(code=group_code, name=group_name, level=Level.GROUP, parent_id=village.code))
                    result.groups += 1
                    v.places.append((group_code, group_name))
                    for k in range(1, grid_counts[g - 1] + 1):
                        grid_code = f"{group_code}{k:03d}"
                        to_create.append(Area(code=grid_code, name=f"{group_name}第{k}网格", level=Level.GRID, parent_id=group_code))
                        result.grids += 1
                        v.places.append((grid_code, group_name))
            if not v.places:
                v.places.append((village.code, ""))
            self.villages.append(v)
            # Urban neighborhoods are denser than villages.
            weights.append({"1": 3.0, "2": 1.0}.get((village.urban_rural_class or "2")[0], 1.0) * (0.5 + rnd.random()))
        Area.objects.bulk_create(to_create, batch_size=2000)
        self.village_cumulative = list(itertools.accumulate(weights))
        return result

    # ---- people -----------------------------------------------------------------------------

    def _start_ids(self):
        self.next_household_id = (Household.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.next_person_id = (Person.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        if self.next_person_id > 1:
            # Appending to a registry: carry on after the sequence numbers already used.
            for number in Person.objects.values_list("id_number", flat=True).iterator(chunk_size=20000):
                if len(number) != 18:
                    continue
                try:
                    ordinal = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14])).toordinal()
                except ValueError:
                    continue
                sex = "male" if int(number[16]) % 2 else "female"
                key = (number[:6], ordinal, sex)
                self.id_sequences[key] = max(self.id_sequences.get(key, 0), int(number[14:16]) + 1)

    def build_people(self, people: int, result: DemoResult, progress: ProgressCallback | None, started: float):
        self._start_ids()
        self.result = result
        if not self.villages:
            return
        self._new_buffers()
        made = 0
        while made < people:
            made += self._household(people - made)
            if len(self.households) >= self.chunk_households:
                self._flush()
                if progress:
                    result.seconds = round(time.monotonic() - started, 1)
                    progress(result, False)
        self._flush()
        self.writer.reset_sequences([Household, Person])

    def _new_buffers(self):
        self.households, self.persons, self.kinships, self.incomes, self.assets = [], [], [], [], []

    def _flush(self):
        w = self.writer
        # Households carry their head's id already: the foreign keys are checked at commit.
        w.insert(Household, HOUSEHOLD_FIELDS, self.households)
        w.insert(Person, PERSON_FIELDS, self.persons)
        w.insert(Kinship, KINSHIP_FIELDS, self.kinships)
        w.insert(IncomeItem, INCOME_FIELDS, self.incomes)
        w.insert(Asset, ASSET_FIELDS, self.assets)
        r = self.result
        r.households += len(self.households)
        r.people += len(self.persons)
        r.kinships += len(self.kinships)
        r.income_items += len(self.incomes)
        r.assets += len(self.assets)
        self._new_buffers()

    def _bank_account(self) -> str:
        """A social-security card of one of the county's issuing banks (payroll/banks.py; rural
        banks issue most of them), or none for three households in ten. Two draws, as before
        the banks were told apart, so a seed still gives the same county."""
        r = self.rnd.random
        if r() >= 0.7:
            return ""
        digits = int(r() * 1e15)
        share = digits % 100
        prefix = next(p for p, cumulative in BANK_SHARES if share < cumulative)
        return f"{prefix}{digits % 10**13:013d}"

    def _phone(self) -> str:
        rnd = self.rnd
        return _PHONE_PREFIXES[int(rnd.random() * len(_PHONE_PREFIXES))] + f"{int(rnd.random() * 1e8):08d}"

    def _age_of_kind(self, kind: str, registration: str) -> list[tuple]:
        """Members as (relation, sex, age, surname) with the head first. Surnames follow the
        father's line; wives and in-laws keep their own."""
        rnd = self.rnd
        r = rnd.random
        surname = self.names.surname
        family = surname(rnd)
        rural = registration == "rural"
        members: list[tuple] = []

        def kids(mother_age: int, relation: str, family_name: str, weights: tuple) -> list[tuple]:
            n = 1 + bisect.bisect(weights, r())
            out = []
            age = mother_age - rnd.randint(21, 32)
            for _ in range(n):
                if age < 0:
                    break
                if age <= 27:
                    out.append((relation, "male" if r() < 0.52 else "female", age, family_name))
                age -= rnd.randint(1, 6)
            return out

        kid_weights = (0.42, 0.87) if rural else (0.60, 0.96)
        if kind == "elderly_single":
            age = 65 + int(r() ** 1.6 * 30)
            sex = "female" if r() < 0.62 else "male"
            members.append(("head", sex, age, family if sex == "male" else surname(rnd)))
        elif kind == "elderly_couple":
            husband = 62 + int(r() ** 1.5 * 28)
            wife = max(58, husband - rnd.randint(0, 6))
            if r() < 0.9:
                members += [("head", "male", husband, family), ("spouse", "female", wife, surname(rnd))]
            else:
                members += [("head", "female", wife, surname(rnd)), ("spouse", "male", husband, family)]
        elif kind == "single_adult":
            sex = "male" if r() < 0.58 else "female"
            members.append(("head", sex, rnd.randint(20, 64), family))
        elif kind == "couple":
            wife = rnd.randint(22, 34) if r() < 0.45 else rnd.randint(45, 62)
            husband = wife + rnd.randint(0, 4)
            if r() < 0.85:
                members += [("head", "male", husband, family), ("spouse", "female", wife, surname(rnd))]
            else:
                members += [("head", "female", wife, surname(rnd)), ("spouse", "male", husband, family)]
        elif kind == "nuclear":
            mother = rnd.randint(23, 50)
            father = mother + rnd.randint(0, 5)
            if r() < 0.82:
                members += [("head", "male", father, family), ("spouse", "female", mother, surname(rnd))]
            else:
                members += [("head", "female", mother, surname(rnd)), ("spouse", "male", father, family)]
            members += kids(mother, "child", family, kid_weights) or [("child", "female", rnd.randint(0, 2), family)]
        elif kind == "single_parent":
            sex = "female" if r() < 0.7 else "male"
            parent = rnd.randint(28, 50)
            members.append(("head", sex, parent, family if sex == "male" else surname(rnd)))
            if sex == "female":
                family = surname(rnd)  # the children carry their father's name
            members += kids(parent if sex == "female" else parent - 2, "child", family, (0.65, 1.0)) or [("child", "male", rnd.randint(3, 12), family)]
        elif kind == "three_generations":
            if r() < 0.55:  # head is the middle generation
                mother = rnd.randint(26, 48)
                father = mother + rnd.randint(0, 4)
                members += [("head", "male", father, family), ("spouse", "female", mother, surname(rnd))]
                members += kids(mother, "child", family, kid_weights) or [("child", "male", rnd.randint(0, 8), family)]
                paternal = r() < 0.85
                grandfather = min(98, father + rnd.randint(22, 32))
                grandmother = max(45, grandfather - rnd.randint(0, 5))
                relation = "parent" if paternal else "parent_in_law"
                who = r()
                if who < 0.55 or who >= 0.85:
                    members.append((relation, "male", grandfather, family if paternal else surname(rnd)))
                if who < 0.85:
                    members.append((relation, "female", grandmother, surname(rnd)))
            else:  # head is the grandparent
                grandfather = rnd.randint(52, 80)
                with_wife = r() < 0.7
                members.append(("head", "male", grandfather, family))
                if with_wife:
                    members.append(("spouse", "female", max(48, grandfather - rnd.randint(0, 5)), surname(rnd)))
                son = grandfather - rnd.randint(22, 32)
                wife = max(20, son - rnd.randint(0, 4))
                members += [("child", "male", son, family), ("child_in_law", "female", wife, surname(rnd))]
                members += kids(wife, "grandchild", family, kid_weights) or [("grandchild", "female", rnd.randint(0, 6), family)]
                if r() < 0.12:
                    members.append(("child", "female" if r() < 0.5 else "male", max(16, son - rnd.randint(2, 8)), family))
        else:  # with_elderly_parents
            wife = rnd.randint(45, 60)
            husband = wife + rnd.randint(0, 4)
            members += [("head", "male", husband, family), ("spouse", "female", wife, surname(rnd))]
            grandfather = min(99, husband + rnd.randint(22, 32))
            if r() < 0.5:
                members.append(("parent", "male", grandfather, family))
            members.append(("parent", "female", max(65, grandfather - rnd.randint(0, 5)), surname(rnd)))
        return members

    def _place(self):
        rnd = self.rnd
        cumulative = self.village_cumulative
        village = self.villages[bisect.bisect(cumulative, rnd.random() * cumulative[-1])]
        places = village.places
        # Most households are kept at a grid; some only at their group (no grid drawn yet).
        place = places[int(rnd.random() * len(places))]
        number = village.house_numbers.get(place[1], 0) + 1
        village.house_numbers[place[1]] = number
        if village.registration == "rural":
            address = f"{place[1] or village.name}{number}号"
        else:
            address = f"{place[1] or village.name}{number}号院"
        return village, place[0], address

    def _household(self, remaining: int) -> int:
        """One household (trimmed to `remaining` people for the last one); returns its size."""
        rnd = self.rnd
        r = rnd.random
        village, area_code, address = self._place()
        registration = village.registration
        kind = KINDS[bisect.bisect(_KIND_CUMULATIVE[registration], r() * _KIND_CUMULATIVE[registration][-1])]
        specs = self._age_of_kind(kind, registration)[:remaining]

        # An adult who moved out: link to parents living on their own in the same town.
        parents = None
        head_relation, head_sex, head_age, head_surname = specs[0]
        if kind in ("single_adult", "couple", "nuclear", "single_parent") and 25 <= head_age <= 58 and r() < 0.45:
            pool = self.elderly_by_town.get(village.town)
            if pool:
                for _ in range(4):
                    entry = pool[int(r() * len(pool))]
                    gap = entry[1][0][1] - head_age
                    if 20 <= gap <= 42:
                        parents = entry
                        break
        if parents is not None:
            father = next((m for m in parents[1] if m[2] == "male"), None)
            if father is not None:
                head_surname = father[3]
                specs[0] = (head_relation, head_sex, head_age, head_surname)
                # her children (if she heads the household) keep their father's name
                if head_sex == "male":
                    specs = [s if s[0] not in ("child", "grandchild") else (s[0], s[1], s[2], head_surname) for s in specs]

        household_id = self.next_household_id
        self.next_household_id += 1
        members = []
        for relation, sex, age, surname in specs:
            members.append(self._person(household_id, area_code, relation, sex, age, surname))
        head_id = members[0][0]
        self.households.append((household_id, area_code, address, registration, head_id, self._phone(),
                                self._bank_account(), "", self.now, self.now))

        if parents is not None:
            kin = self.kinships
            for parent_id, _age, _sex, _surname in parents[1]:
                kin.append((head_id, parent_id, "parent"))
                kin.append((parent_id, head_id, "child"))
            for sibling_id in parents[2]:
                kin.append((head_id, sibling_id, "sibling"))
                kin.append((sibling_id, head_id, "sibling"))
            parents[2].append(head_id)
            if len(parents[2]) >= 4:
                pool = self.elderly_by_town[village.town]
                pool.remove(parents)
        if kind in ("elderly_single", "elderly_couple"):
            pool = self.elderly_by_town.setdefault(village.town, [])
            entry = (household_id, [(m[0], m[1], m[2], m[3]) for m in sorted(members, key=lambda m: -m[1])], [])
            if len(pool) < 3000:
                pool.append(entry)
            else:
                pool[int(r() * len(pool))] = entry

        poor = self._economy(household_id, kind, registration, members)
        if poor:
            self.result.under_standard += 1
        candidates = self.staff_candidates.setdefault(village.code, [])
        if len(candidates) < 40 and (poor or len(candidates) < 20):
            head = members[0]
            candidates.append((head[0], head[1], head[2], head[3], household_id, poor))
        return len(members)

    def _person(self, household_id: int, area_code: str, relation: str, sex: str, age: int, surname: str,
                prefix: str | None = None, name: str | None = None) -> tuple:
        """Write one person; returns (id, age, sex, surname, work_ability, severe, ill, disabled, id_number)."""
        rnd = self.rnd
        r = rnd.random
        person_id = self.next_person_id
        self.next_person_id += 1
        ordinal = _REFERENCE_ORDINAL - 1 - int((age + r()) * 365.2425)
        if prefix is None:
            migrant = 0.12 if relation in ("spouse", "child_in_law") and sex == "female" else 0.03
            prefix = NEARBY_COUNTIES[int(r() * len(NEARBY_COUNTIES))] if r() < migrant else self.county
        sequences = self.id_sequences
        while True:
            key = (prefix, ordinal, sex)
            sequence = sequences.get(key, 0)
            if sequence < 100:
                sequences[key] = sequence + 1
                break
            ordinal -= 1  # a hundred people of this sex born that day already: a day earlier
        birth = dt.date.fromordinal(ordinal)
        id_number = make_id_number(prefix, birth, sequence, sex)
        age = age_on(birth, REFERENCE_DATE)

        if age < 18:
            p_disabled, p_ill = 0.01, 0.003
        elif age < 60:
            p_disabled, p_ill = 0.03, 0.015
        elif age < 80:
            p_disabled, p_ill = 0.08, 0.05
        else:
            p_disabled, p_ill = 0.15, 0.07
        disability_type, grade = "", None
        if r() < p_disabled:
            disability_type = _DISABILITY_TYPES[bisect.bisect(_DISABILITY_TYPE_CUMULATIVE, r() * _DISABILITY_TYPE_CUMULATIVE[-1])]
            grade = 1 + bisect.bisect(_DISABILITY_GRADE_CUMULATIVE, r() * _DISABILITY_GRADE_CUMULATIVE[-1])
        ill = r() < p_ill
        # POLICY.md §2: under 16 or 60+ (70+ entirely), grade 1-2 disability or intellectual/mental
        # grade 3 means no ability to work; milder disability or serious illness, partial.
        severe = grade is not None and (grade <= 2 or (grade == 3 and disability_type in ("intellectual", "mental")))
        if age < 16 or age >= 70 or severe:
            work = "none"
        elif age >= 60 or grade is not None or ill:
            work = "partial"
        else:
            work = "full"
        if name is None:
            name = surname + self.names.given_name(rnd, sex, birth.year)
        phone = self._phone() if (relation == "head" or (age >= 18 and r() < 0.3)) else ""
        self.persons.append((person_id, household_id, area_code, name, id_number, sex, birth.isoformat(), relation,
                             disability_type, grade, ill, work, phone, False, self.now, self.now))
        return (person_id, age, sex, surname, work, severe, ill, grade is not None, id_number)

    def _economy(self, household_id: int, kind: str, registration: str, members: list[tuple]) -> bool:
        """Declared income and assets; True when the household is under the standard.

        A household is made eligible on purpose (a few percent), or comfortably above the
        standard, or low-income with assets over the limit (a car, savings) — the case a survey
        has to catch. Amounts are whole yuan, as declared on the form."""
        rnd = self.rnd
        r = rnd.random
        n = len(members)
        standard = DEMO_STANDARD[registration]
        rural = registration == "rural"
        head_id = members[0][0]
        p_poor = _POOR_BASE[kind] * (1.3 if rural else 0.7)
        if any(m[5] or m[6] for m in members):
            p_poor *= 2.5
        draw = r()
        if draw < min(p_poor, 0.6):
            status = "poor"
            per_capita = standard * (0.15 + 0.77 * r())
        elif draw < min(p_poor, 0.6) + 0.015:
            status = "asset_rich"
            per_capita = standard * (0.3 + 0.65 * r())
        else:
            status = "normal"
            per_capita = rnd.lognormvariate(0, 0.55) * (1700 if rural else 3200)
            if per_capita < standard * 1.02:
                per_capita = standard * (1.02 + 0.5 * r())
        total = int(per_capita * n)
        if status != "normal":
            total = min(total, standard * n - 1)  # strictly under the standard
        elif total < standard * n:
            total = standard * n + 1

        incomes = self.incomes
        sources = []  # (person_id, category, description)
        for person_id, age, sex, surname, work, severe, ill, disabled, _id_number in members:
            if 18 <= age < 65 and work != "none" and not (age <= 22 and r() < 0.5):
                if r() < 0.15:
                    sources.append((person_id, "business", "个体经营净收入"))
                else:
                    sources.append((person_id, "wages", "务工收入" if rural else "工资收入"))
            elif age >= 60 and not rural and r() < 0.8:
                sources.append((person_id, "pension", "企业职工养老金"))
            if age >= 60 and rural:
                incomes.append((household_id, person_id, "excluded_basic_pension", f"{rnd.randint(163, 260)}.00", "城乡居民基础养老金"))
            if severe:
                incomes.append((household_id, person_id, "excluded_assistance", f"{rnd.randint(90, 150)}.00", "残疾人两项补贴"))
        if not sources or (any(m[1] >= 60 for m in members) and r() < 0.25):
            elder = max(members, key=lambda m: m[1])
            sources.append((elder[0], "support", "子女赡养费"))
        if total > 0:
            weights = [0.3 + r() for _ in sources]
            scale = total / sum(weights)
            given = 0
            for i, (person_id, category, description) in enumerate(sources):
                amount = total - given if i == len(sources) - 1 else int(weights[i] * scale)
                given += amount
                incomes.append((household_id, person_id, category, f"{amount}.00", description))

        assets = self.assets
        limit = ASSET_LIMIT_MONTHS * standard * n
        disabled_member = any(m[7] for m in members)
        if r() < (0.96 if rural else 0.85) or status == "poor" and r() < 0.85:
            value = rnd.randint(60, 260) * 1000 if rural else rnd.randint(250, 1200) * 1000
            assets.append((household_id, head_id, "home", f"{value}.00", 1, "自有住房" if rural else "商品房", False))
        if status == "poor":
            if r() < 0.7:
                assets.append((household_id, head_id, "deposit", f"{int(limit * 0.5 * r())}.00", 1, "银行存款", False))
            if r() < (0.4 if rural else 0.15):
                assets.append((household_id, head_id, "mobility_vehicle", f"{rnd.randint(15, 50) * 100}.00", 1, "电动自行车", disabled_member))
            return True
        if status == "asset_rich":
            if r() < 0.5:
                assets.append((household_id, head_id, "deposit", f"{int(limit * (1.1 + 2 * r()))}.00", 1, "银行存款", False))
            else:
                assets.append((household_id, head_id, "vehicle", f"{rnd.randint(30, 150) * 1000}.00", 1, "小型汽车", False))
            return False
        if r() < 0.9:
            assets.append((household_id, head_id, "deposit", f"{int(rnd.lognormvariate(0, 1.0) * (30000 if rural else 60000))}.00", 1, "银行存款", False))
        if r() < (0.35 if rural else 0.45):
            assets.append((household_id, head_id, "vehicle", f"{rnd.randint(40, 250) * 1000}.00", 1, "小型汽车", False))
        if r() < (0.45 if rural else 0.2):
            assets.append((household_id, head_id, "mobility_vehicle", f"{rnd.randint(15, 50) * 100}.00", 1, "电动自行车", disabled_member))
        if r() < (0.03 if rural else 0.12):
            assets.append((household_id, head_id, "securities", f"{rnd.randint(5, 300) * 1000}.00", 1, "股票", False))
        if r() < (0.10 if rural else 0.15):
            assets.append((household_id, head_id, "insurance", f"{rnd.randint(2, 80) * 1000}.00", 1, "商业保险", False))
        if r() < (0.02 if rural else 0.05):
            assets.append((household_id, head_id, "home", f"{rnd.randint(300, 1500) * 1000}.00", 1, "第二套住房", False))
        if r() < 0.015:
            assets.append((household_id, head_id, "non_residential", f"{rnd.randint(100, 800) * 1000}.00", 1, "商铺", False))
        if any(s[1] == "business" for s in sources) and r() < 0.6:
            assets.append((household_id, head_id, "business", f"{rnd.randint(20, 200) * 1000}.00", 1, "个体工商户", False))
        return False

    # ---- staff ------------------------------------------------------------------------------

    def _staff_areas(self) -> dict[str, str]:
        towns = list(Area.objects.filter(code__startswith=self.county, level=Level.TOWN).order_by("code").values_list("code", flat=True))
        proper = [t for t in towns if t[6] == "1"]  # 100-199: towns (POLICY.md §8)
        town = proper[0] if proper else towns[0]
        other_town = next((t for t in proper[1:] + towns if t != town), town)
        villages = Area.objects.filter(parent_id=town, level=Level.VILLAGE).order_by("code")
        village = (villages.filter(urban_rural_class="220").first() or villages.first()).code
        grid = (Area.objects.filter(code__startswith=village, level=Level.GRID).order_by("code").first()
                or Area.objects.get(code=village)).code
        return {"county": self.county, "town": town, "other_town": other_town, "village": village, "grid": grid}

    def build_staff(self, password: str, result: DemoResult):
        """One login per role (DESIGN.md §1), named like real staff; some of them residents of
        the county with a relative in another household (for close-relative filings)."""
        rnd = random.Random(f"{self.seed}:staff")
        User = get_user_model()
        areas = self._staff_areas()
        note = DemoNote.objects.filter(key="staff").first()
        identities = dict(note.value) if note else {}
        users = {}
        # All demo logins share one password, so one hash: Argon2 is slow on purpose (0.15 s each).
        password_hash = make_password(password)
        for username, role, where in DEMO_STAFF:
            user = users.get(username) or User.objects.filter(username=username).first()
            if user is None:
                draw = random.Random(f"{self.seed}:staff:{username}") if username in OWN_STREAM_LOGINS else rnd
                sex = "male" if draw.random() < 0.55 else "female"
                surname = self.names.surname(draw)
                given = self.names.given_name(draw, sex, draw.randint(1968, 1998))
                user = User.objects.create(username=username, first_name=given, last_name=surname,
                                           password=password_hash)
                user.demo_sex = sex
                result.staff += 1
            users[username] = user
            Post.objects.get_or_create(user=user, role=role, area_id=areas[where])
        # Residents among the staff: one household each, with a relative elsewhere.
        self._new_buffers()
        for username in STAFF_RESIDENTS:
            user = users[username]
            if username in identities or not hasattr(user, "demo_sex"):
                continue
            where = dict((u, w) for u, _r, w in DEMO_STAFF)[username]
            identity = self._staff_resident(user, areas[where], rnd)
            if identity:
                identities[username] = identity
        self._flush()
        self.writer.reset_sequences([Household, Person])
        DemoNote.objects.update_or_create(key="staff", defaults={"value": identities})

    def _staff_resident(self, user, area_code: str, rnd: random.Random) -> dict | None:
        villages = [v for v in self.villages if v.code.startswith(area_code) or area_code.startswith(v.code)]
        if not villages:
            return None
        # The relative: preferably the head of a household under the standard in the staff
        # member's own area, which is exactly what a close-relative filing is for.
        candidates = [c for v in villages for c in self.staff_candidates.get(v.code, [])]
        if not candidates:
            return None
        poor = [c for c in candidates if c[5]]
        relative = (poor or candidates)[int(rnd.random() * len(poor or candidates))]
        relative_id, relative_age, relative_sex, relative_surname, relative_household, _poor = relative
        if relative_age >= 50:
            relation, age = "parent", max(24, min(58, relative_age - rnd.randint(24, 32)))
        else:
            relation, age = "sibling", max(24, min(58, relative_age + rnd.randint(-6, 6)))
        home = next((v for v in villages if v.code == area_code), villages[0]) if len(area_code) >= 12 else villages[0]
        if len(area_code) == 18:
            place = next((p for p in home.places if p[0] == area_code), home.places[0])
        else:
            place = home.places[0]
        sex = user.demo_sex
        surname = relative_surname if relative_sex == "male" else self.names.surname(rnd)
        user.last_name = surname
        user.save(update_fields=["last_name"])
        household_id = self.next_household_id
        self.next_household_id += 1
        number = home.house_numbers.get(place[1], 0) + 1
        home.house_numbers[place[1]] = number
        address = f"{place[1] or home.name}{number}号" + ("" if home.registration == "rural" else "院")
        me = self._person(household_id, place[0], "head", sex, age, surname, prefix=self.county,
                          name=surname + user.first_name)
        spouse_age = max(22, age + rnd.randint(-3, 3))
        self._person(household_id, place[0], "spouse", "female" if sex == "male" else "male", spouse_age, self.names.surname(rnd))
        if age < 50:
            self._person(household_id, place[0], "child", "male" if rnd.random() < 0.5 else "female",
                         max(0, min(age, spouse_age) - rnd.randint(24, 30)), surname if sex == "male" else self.names.surname(rnd))
        self.households.append((household_id, place[0], address, home.registration, me[0], self._phone(), "", "", self.now, self.now))
        # A public servant's household: a salary, a home and some savings, well above the standard.
        self.incomes.append((household_id, me[0], "wages", f"{rnd.randint(45, 70) * 100}.00", "工资收入"))
        self.assets.append((household_id, me[0], "home", f"{rnd.randint(300, 900) * 1000}.00", 1, "商品房", False))
        self.assets.append((household_id, me[0], "deposit", f"{rnd.randint(20, 150) * 1000}.00", 1, "银行存款", False))
        inverse = {"parent": "child", "sibling": "sibling"}
        self.kinships.append((me[0], relative_id, relation))
        self.kinships.append((relative_id, me[0], inverse[relation]))
        return {"id_number": me[8], "person_id": me[0], "name": surname + user.first_name,
                "relative_person_id": relative_id, "relative_household_id": relative_household, "relation": relation}
