"""Department snapshots for the demo county, with planted facts and their ground truth.

`build_verification_demo` reads the demo county's registry (made by `safetynet demo`) and writes
one realistic snapshot per dataset: what departments would hold about these households — wages
for the members who declared wages, pensions, deposits, homes, cars, businesses, provident
fund accounts, medical costs, registrations, income tax — plus records of people who live
elsewhere (about a quarter more rows, from other provinces' ID numbers, matching nobody). Each
file goes through the real import (services.import_snapshot), so the demo also exercises it.

The background mirrors what each household declared, so it raises no flag the household's own
declaration would not. Then, on households whose declaration is clean (the dibao rule on the
declared facts finds them eligible, assets within limits), facts are PLANTED, one per household:

    vehicle              a car registered to a member                   → vehicle
    business             a company with a member as legal representative → business
    second_home          a second residential property                  → more_than_one_home
    non_residential      a shop                                         → non_residential_property
    deposits_over_limit  ¥5,000,000 in a bank, far over any limit       → financial_assets_over_limit
    death                a member's death (he had no income)             → member_deceased
    undeclared_wages     ¥200 a month of wages nobody declared           → undeclared_wages

each checked with the rule so that it raises its flag and no other. And for identity resolution
(issue 4, part 3), a car registered under a member's legacy 15-digit ID, under his ID with a
wrong check digit, or with no ID at all (name, birth date and address), plus decoys (same name
and address, another birth date) that must not match: the exact-ID engine must flag none of
these. `controls` are clean households with nothing planted: no flag expected.

The ground truth goes beside the snapshots: `ground_truth.csv` (one row per planted fact or
control) and `ground_truth.json` (the same with the run's figures). Same seed, same files.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import random
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from django.utils import timezone

from safetynet.areas.models import Area
from safetynet.core.idnumbers import CHECK_CHARACTERS, make_id_number
from safetynet.core.scoping import Actor
from safetynet.registry.models import Asset, Household, IncomeItem, Person

from . import storage
from .schemas import DATASETS, IDENTITY_COLUMNS

PLANTED_KINDS = ("vehicle", "business", "second_home", "non_residential", "deposits_over_limit", "death", "undeclared_wages")
EXPECTED_FLAG = {
    "vehicle": "vehicle", "business": "business", "second_home": "more_than_one_home",
    "non_residential": "non_residential_property", "deposits_over_limit": "financial_assets_over_limit",
    "death": "member_deceased", "undeclared_wages": "undeclared_wages",
}
IDENTITY_KINDS = ("legacy", "bad_check", "no_id", "decoy")
PLANTED_DEPOSIT = Decimal("5000000.00")
PLANTED_WAGE = Decimal("200.00")
# ID numbers of people outside the county (other provinces), so noise matches nobody registered here.
NOISE_PREFIXES = ("410102", "410105", "370102", "370103", "320102", "440103")
BANKS = ("中国农业银行", "中国工商银行", "中国建设银行", "中国银行", "中国邮政储蓄银行", "河北银行", "正定农村商业银行")
BROKERS = ("中信证券", "华泰证券", "财达证券", "国泰君安")
INSURERS = ("中国人寿", "中国平安", "太平洋保险", "泰康人寿")
EMPLOYERS = ("正定县建筑工程有限公司", "石家庄恒通物流有限公司", "正定县第一中学", "河北常山纺织有限公司", "正定县人民医院",
             "石家庄市美食餐饮管理有限公司", "正定县农业发展有限公司", "河北正定机电设备有限公司", "石家庄鑫源超市有限公司")
COMPANY_WORDS = ("鑫", "恒", "泰", "华", "盛", "源", "达", "丰", "隆", "茂")


@dataclass
class Planted:
    household_id: int
    person_id: int
    id_number: str
    fact: str
    dataset: str
    expected_flag: str          # the flag the exact-ID engine must raise ("" for identity kinds and controls)
    identity: str = "exact"     # exact | legacy | bad_check | no_id | decoy | control
    record_id_number: str = ""  # the ID number as the record carries it
    record_name: str = ""
    record_birth_date: str = ""


@dataclass
class DemoDataResult:
    seed: int
    county_code: str
    taken_on: dt.date
    households: int = 0
    rows: dict = field(default_factory=dict)
    snapshots: dict = field(default_factory=dict)     # dataset → (snapshot id, created)
    planted: list = field(default_factory=list)
    folder: str = ""
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


def legacy_id(id_number: str) -> str:
    """The 15-digit number a person born in the 1900s held before 1999 (POLICY.md §8, reversed)."""
    return id_number[:6] + id_number[8:17]


def wrong_check(id_number: str) -> str:
    right = id_number[17]
    return id_number[:17] + CHECK_CHARACTERS[(CHECK_CHARACTERS.index(right) + 3) % len(CHECK_CHARACTERS)]


def _months_before(taken_on: dt.date, n: int) -> list[dt.date]:
    month = taken_on.replace(day=1)
    out = []
    for _ in range(n):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        out.append(month)
    return out


class _Builder:
    def __init__(self, seed: int, taken_on: dt.date):
        self.rnd = random.Random(seed)
        self.taken_on = taken_on
        self.rows: dict[str, list[dict]] = defaultdict(list)
        self.months = _months_before(taken_on, 12)
        self.plates = set()
        self.policies = 0
        self.noise_ids = set()
        self.provident = set()

    def past(self, years_back: int = 20) -> dt.date:
        return self.taken_on - dt.timedelta(days=self.rnd.randint(30, 365 * years_back))

    def plate(self) -> str:
        while True:
            plate = "冀A" + "".join(self.rnd.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(5))
            if plate not in self.plates:
                self.plates.add(plate)
                return plate

    def who(self, person: dict, identity: str = "exact", address: str = "") -> dict:
        row = {"id_number": person["id_number"], "name": person["name"], "birth_date": person["birth_date"],
               "resident_address": address or None}
        if identity == "legacy":
            row["id_number"] = legacy_id(person["id_number"])
        elif identity == "bad_check":
            row["id_number"] = wrong_check(person["id_number"])
        elif identity in ("no_id", "decoy"):
            row["id_number"] = None
        return row

    def wages(self, person, net: Decimal, employer: str | None = None, months: int = 12):
        employer = employer or self.rnd.choice(EMPLOYERS)
        gross = (net * Decimal("1.25")).quantize(Decimal("0.01"))
        for month in self.months[:months]:
            self.rows["hrss_wages"].append({**self.who(person), "employer": employer, "month": month,
                                            "gross_wage": gross, "net_wage": net})
        if gross > 5000:
            for month in self.months[:months]:
                self.rows["tax_income"].append({**self.who(person), "withholder": employer, "month": month,
                                                "taxable_income": gross - 5000, "tax_paid": ((gross - 5000) * Decimal("0.03")).quantize(Decimal("0.01"))})
        if person["id_number"] not in self.provident and self.rnd.random() < 0.4:
            self.provident.add(person["id_number"])
            self.rows["provident_fund"].append({**self.who(person), "monthly_deposit": (gross * Decimal("0.12")).quantize(Decimal("0.01")),
                                                "balance": Decimal(self.rnd.randint(2, 200) * 1000), "as_of": self.taken_on})

    def vehicle(self, person, vehicle_type: str, identity: str = "exact", address: str = ""):
        plate = self.plate()
        self.rows["vehicles"].append({**self.who(person, identity, address), "plate": plate, "vehicle_type": vehicle_type,
                                      "registered_on": self.past(12)})
        return plate

    def property(self, person, address: str, use: str):
        self.rows["real_estate"].append({**self.who(person), "address": address, "use": use,
                                         "area_m2": float(self.rnd.randint(40, 160)), "registered_on": self.past(25)})

    def business(self, person, company: str, capital: Decimal):
        self.rows["businesses"].append({**self.who(person), "company": company, "role": "legal_rep",
                                        "registered_capital": capital, "registered_on": self.past(10)})

    def deposit(self, person, balance: Decimal, bank: str | None = None):
        self.rows["deposits"].append({**self.who(person), "bank": bank or self.rnd.choice(BANKS), "balance": balance,
                                      "as_of": self.taken_on})

    def company(self) -> str:
        return "正定县" + "".join(self.rnd.choice(COMPANY_WORDS) for _ in range(2)) + self.rnd.choice(("商贸", "建材", "餐饮", "养殖", "运输")) + "有限公司"


def _load_registry(county_code: str):
    households = {hid: {"id": hid, "area": area, "address": address, "head": head, "members": [], "income": [], "assets": []}
                  for hid, area, address, head in Household.objects.filter(area__code__startswith=county_code)
                  .values_list("id", "area_id", "address", "head_id").order_by("id")}
    for row in (Person.objects.filter(area__code__startswith=county_code).order_by("household_id", "id")
                .values("id", "household_id", "name", "id_number", "sex", "birth_date", "relation_to_head", "disability_type",
                        "disability_grade", "serious_illness", "work_ability", "is_deceased")):
        household = households.get(row["household_id"])
        if household is not None:
            household["members"].append(row)
    for row in IncomeItem.objects.filter(household__area__code__startswith=county_code).values(
            "household_id", "person_id", "category", "monthly_amount", "description").order_by("id"):
        households[row["household_id"]]["income"].append(row)
    for row in Asset.objects.filter(household__area__code__startswith=county_code).values(
            "household_id", "person_id", "category", "value", "quantity", "is_exempt", "description").order_by("id"):
        households[row["household_id"]]["assets"].append(row)
    classes = dict(Area.objects.filter(code__startswith=county_code, level="village").values_list("code", "urban_rural_class"))
    for household in households.values():
        household["is_urban"] = (classes.get(household["area"][:12]) or "").startswith("1")
    return households


def _snapshot_of(household: dict, *, drop_person: int | None = None, extra_wages: Decimal = Decimal("0")) -> dict:
    """The household in the shape cases.snapshots reads (for the rule on the declared facts)."""
    members = [{"person_id": m["id"], "name": m["name"], "birth_date": m["birth_date"].isoformat(),
                "disability_type": m["disability_type"], "disability_grade": m["disability_grade"],
                "serious_illness": m["serious_illness"], "work_ability": m["work_ability"],
                "is_deceased": m["is_deceased"] or m["id"] == drop_person} for m in household["members"]]
    income = [{"person_id": i["person_id"], "category": i["category"], "monthly_amount": str(i["monthly_amount"])}
              for i in household["income"]]
    if extra_wages:
        income.append({"person_id": None, "category": "wages", "monthly_amount": str(extra_wages)})
    assets = [{"person_id": a["person_id"], "category": a["category"], "value": str(a["value"]), "quantity": a["quantity"],
               "is_exempt": a["is_exempt"]} for a in household["assets"]]
    return {"household": {"id": household["id"], "is_urban": household["is_urban"], "head": household["head"]},
            "members": members, "income": income, "assets": assets}


class _DeclaredVerdict:
    """The dibao rule on a household's declared facts (cases.snapshots → programs.rules)."""

    def __init__(self, on_date: dt.date):
        self.on_date = on_date
        self.params: dict = {}

    def eligible(self, household: dict, **changes) -> bool:
        from safetynet.cases.snapshots import facts_from_snapshot
        from safetynet.core.errors import SafetyNetError
        from safetynet.programs import rules
        from safetynet.programs.selectors import dibao_parameters

        key = (household["area"][:12], household["is_urban"])
        if key not in self.params:
            try:
                self.params[key] = dibao_parameters(key[0], self.on_date.replace(day=1), is_urban=key[1])
            except SafetyNetError:
                self.params[key] = None
        params = self.params[key]
        if params is None:
            return False
        facts = facts_from_snapshot(_snapshot_of(household, **changes), self.on_date)
        outcome = rules.assess_dibao(facts, params)
        return outcome.eligible and outcome.details.get("coverage") == rules.HOUSEHOLD


def _mirror(b: _Builder, household: dict) -> None:
    """What departments hold about a household that declared truthfully."""
    rnd = b.rnd
    members = {m["id"]: m for m in household["members"]}
    head = members.get(household["head"]) or (household["members"][0] if household["members"] else None)
    if head is None:
        return
    for m in household["members"]:
        b.rows["public_security_registrations"].append({**b.who(m, address=household["address"]), "sex": m["sex"],
                                                        "registered_on": m["birth_date"]})
        if m["is_deceased"]:
            b.rows["public_security_deaths"].append({**b.who(m), "death_date": b.past(3)})
        if m["serious_illness"] or (m["disability_grade"] and rnd.random() < 0.5):
            for month in b.months[:12:3]:
                b.rows["medical_costs"].append({**b.who(m), "self_paid": Decimal(rnd.randint(200, 6000)), "period_end": month})
    for item in household["income"]:
        person = members.get(item["person_id"]) or head
        amount = Decimal(item["monthly_amount"])
        if item["category"] == "wages" and amount > 0:
            b.wages(person, amount)
        elif item["category"] == "pension":
            b.rows["pensions"].append({**b.who(person), "kind": "enterprise", "monthly_amount": amount, "since": b.past(15)})
        elif item["category"] == "excluded_basic_pension":
            b.rows["pensions"].append({**b.who(person), "kind": "resident_basic", "monthly_amount": amount, "since": b.past(10)})
        elif item["category"] == "unemployment":
            b.rows["unemployment"].append({**b.who(person), "monthly_amount": amount, "since": b.past(1), "until": None})
    homes = 0
    for asset in household["assets"]:
        person = members.get(asset["person_id"]) or head
        value = Decimal(asset["value"])
        category, quantity = asset["category"], int(asset["quantity"] or 1)
        if category == "deposit":
            b.deposit(person, value)
        elif category == "securities":
            b.rows["securities"].append({**b.who(person), "broker": rnd.choice(BROKERS), "market_value": value, "as_of": b.taken_on})
        elif category == "insurance":
            b.policies += 1
            b.rows["insurance"].append({**b.who(person), "insurer": rnd.choice(INSURERS), "policy_no": f"P{b.policies:010d}",
                                        "cash_value": value, "as_of": b.taken_on})
        elif category in ("home", "non_residential"):
            for _ in range(quantity):
                homes += 1
                address = household["address"] if homes == 1 and category == "home" else f"{household['address']}-{homes}"
                b.property(person, address, "residential" if category == "home" else "non_residential")
        elif category == "vehicle":
            for _ in range(quantity):
                b.vehicle(person, "mobility" if asset["is_exempt"] else "car")
        elif category == "mobility_vehicle":
            for _ in range(quantity):
                b.vehicle(person, "e_bike")
        elif category == "business":
            for _ in range(quantity):
                b.business(person, b.company(), value)


def _noise(b: _Builder, share: float) -> None:
    """People registered elsewhere: rows that match nobody in the county (and, for unemployment
    benefit, which the demo county's households never declare, the whole file)."""
    rnd = b.rnd
    if not b.rows.get("unemployment"):
        b.rows["unemployment"].append({"id_number": None, "name": "外", "birth_date": dt.date(1980, 1, 1),
                                       "resident_address": None, "monthly_amount": Decimal("1500.00"),
                                       "since": b.past(1), "until": b.taken_on + dt.timedelta(days=180)})
        share_unemployed = max(20, len(b.rows.get("public_security_registrations", [])) // 100)
    else:
        share_unemployed = 0
    counts = {code: int(len(rows) * share) for code, rows in list(b.rows.items())}
    if share_unemployed:
        counts["unemployment"] = share_unemployed
    sequence = 0
    for code, n in counts.items():
        for _ in range(n):
            sequence += 1
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=rnd.randint(0, 365 * 55))
            sex = rnd.choice(("male", "female"))
            id_number = make_id_number(rnd.choice(NOISE_PREFIXES), birth, sequence % 100, sex)
            if id_number in b.noise_ids:
                continue
            b.noise_ids.add(id_number)
            person = {"id_number": id_number,
                      "name": "外" + rnd.choice("伟芳娜敏静丽强磊军洋"), "birth_date": birth, "sex": sex}
            template = dict(rnd.choice(b.rows[code]))
            template.update(b.who(person))
            if code == "vehicles":
                template["plate"] = b.plate()
            elif code == "insurance":
                b.policies += 1
                template["policy_no"] = f"P{b.policies:010d}"
            elif code == "public_security_registrations":
                template["sex"] = sex
            elif code in ("real_estate", "businesses"):
                template["address" if code == "real_estate" else "company"] = f"{template.get('address') or template.get('company')}#{sequence}"
            b.rows[code].append(template)
    if share_unemployed:
        b.rows["unemployment"].pop(0)   # the template row, which had no ID


def _plant(b: _Builder, households: dict, verdict: _DeclaredVerdict, per_kind: int, controls: int) -> list[Planted]:
    rnd = b.rnd
    clean = [h for h in households.values() if h["members"] and not any(m["is_deceased"] for m in h["members"])
             and verdict.eligible(h)]
    rnd.shuffle(clean)
    planted: list[Planted] = []
    wanted = [(kind, "exact") for kind in PLANTED_KINDS for _ in range(per_kind)]
    wanted += [("vehicle", identity) for identity in IDENTITY_KINDS for _ in range(per_kind)]
    used = set()

    def adult_without_wages(h):
        declared = {i["person_id"] for i in h["income"] if i["category"] == "wages"}
        for m in h["members"]:
            age = (b.taken_on - m["birth_date"]).days // 365
            if 18 <= age < 60 and m["id"] not in declared:
                return m
        return None

    def without_income(h):
        earners = {i["person_id"] for i in h["income"]}
        if len(h["members"]) < 2:
            return None
        for m in h["members"]:
            if m["id"] not in earners and m["id"] != h["head"]:
                return m
        return None

    for kind, identity in wanted:
        for h in clean:
            if h["id"] in used:
                continue
            members = h["members"]
            person = members[0]
            if kind == "second_home":
                if sum(int(a["quantity"] or 1) for a in h["assets"] if a["category"] == "home") != 1:
                    continue
            elif kind == "death":
                person = without_income(h)
                if person is None or not verdict.eligible(h, drop_person=person["id"]):
                    continue
            elif kind == "undeclared_wages":
                person = adult_without_wages(h)
                if person is None or not verdict.eligible(h, extra_wages=PLANTED_WAGE):
                    continue
            if identity == "legacy" and person["birth_date"].year >= 2000:
                continue
            used.add(h["id"])
            break
        else:
            continue
        address = h["address"]
        record = b.who(person, identity, address)
        if identity == "decoy":
            record["birth_date"] = person["birth_date"] - dt.timedelta(days=rnd.randint(400, 4000))
        if kind == "vehicle":
            plate = b.plate()
            b.rows["vehicles"].append({**record, "plate": plate, "vehicle_type": "car", "registered_on": b.past(5)})
            dataset = "vehicles"
        elif kind == "business":
            b.business(person, b.company(), Decimal(rnd.randint(10, 500) * 10000))
            dataset = "businesses"
        elif kind == "second_home":
            b.property(person, f"{address} 二套", "residential")
            dataset = "real_estate"
        elif kind == "non_residential":
            b.property(person, f"{address} 商铺", "non_residential")
            dataset = "real_estate"
        elif kind == "deposits_over_limit":
            b.deposit(person, PLANTED_DEPOSIT, bank="中国工商银行正定支行")
            dataset = "deposits"
        elif kind == "death":
            b.rows["public_security_deaths"].append({**b.who(person), "death_date": b.taken_on - dt.timedelta(days=rnd.randint(10, 200))})
            dataset = "public_security_deaths"
        else:
            b.wages(person, PLANTED_WAGE, employer="正定县零工市场劳务派遣有限公司")
            dataset = "hrss_wages"
        planted.append(Planted(
            household_id=h["id"], person_id=person["id"], id_number=person["id_number"], fact=kind, dataset=dataset,
            expected_flag=EXPECTED_FLAG[kind] if identity == "exact" else "", identity=identity,
            record_id_number=record.get("id_number") or "", record_name=record.get("name") or "",
            record_birth_date=record["birth_date"].isoformat() if record.get("birth_date") else ""))
    for h in clean:
        if controls <= 0:
            break
        if h["id"] in used:
            continue
        used.add(h["id"])
        controls -= 1
        head = h["members"][0]
        planted.append(Planted(household_id=h["id"], person_id=head["id"], id_number=head["id_number"], fact="control",
                               dataset="", expected_flag="", identity="control"))
    return planted


def _dedupe(dataset, rows: list[dict]) -> list[dict]:
    """One row per key (a household declaring the same thing twice must not make the file invalid)."""
    from .schemas import IDENTITY

    seen = set()
    out = []
    for row in rows:
        key = tuple((row.get("id_number") or f"{row.get('name')}|{row.get('birth_date')}") if k == IDENTITY else row.get(k)
                    for k in dataset.key)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


def _arrow(dataset, rows: list[dict]) -> pa.Table:
    from .schemas import DATE, MONEY, MONTH, NUMBER

    types = {DATE: pa.date32(), MONTH: pa.date32(), MONEY: pa.decimal128(14, 2), NUMBER: pa.float64()}
    columns = {}
    for column in dataset.columns:
        values = [row.get(column.name) for row in rows]
        columns[column.name] = pa.array(values, type=types.get(column.type, pa.string()))
    return pa.table(columns)


def demo_folder(seed: int) -> Path:
    path = storage.root() / "demo" / f"seed-{seed}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_verification_demo(*, actor: Actor, seed: int, county_code: str = "130123", per_kind: int = 5, controls: int = 50,
                            noise_share: float = 0.25, import_snapshots: bool = True, progress=None) -> DemoDataResult:
    """Write (and import) the demo county's snapshots and their ground truth; see the module docstring."""
    from .services import import_snapshot

    started = time.monotonic()
    taken_on = timezone.localdate()
    result = DemoDataResult(seed=seed, county_code=county_code, taken_on=taken_on)
    households = _load_registry(county_code)
    result.households = len(households)
    builder = _Builder(seed, taken_on)
    for household in households.values():
        _mirror(builder, household)
    planted = _plant(builder, households, _DeclaredVerdict(taken_on), per_kind, controls)
    _noise(builder, noise_share)
    folder = demo_folder(seed)
    result.folder = str(folder)
    for code, dataset in DATASETS.items():
        rows = _dedupe(dataset, builder.rows.get(code, []))
        if not rows:
            continue
        builder.rnd.shuffle(rows)
        path = folder / f"{code}.parquet"
        pq.write_table(_arrow(dataset, rows), path, compression="zstd")
        result.rows[code] = len(rows)
        if import_snapshots:
            imported = import_snapshot(actor=actor, dataset_code=code, source=path, filename=path.name, taken_on=taken_on)
            result.snapshots[code] = (imported.snapshot.pk, imported.created)
        if progress:
            progress(code, len(rows))
    result.planted = planted
    write_ground_truth(folder, result)
    result.seconds = round(time.monotonic() - started, 1)
    return result


GROUND_TRUTH_FIELDS = [f for f in Planted.__dataclass_fields__]


def write_ground_truth(folder: Path, result: DemoDataResult) -> None:
    with open(folder / "ground_truth.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=GROUND_TRUTH_FIELDS)
        writer.writeheader()
        for p in result.planted:
            writer.writerow(asdict(p))
    summary = {"seed": result.seed, "county": result.county_code, "taken_on": result.taken_on.isoformat(),
               "households": result.households, "rows": result.rows, "planted": [asdict(p) for p in result.planted]}
    (folder / "ground_truth.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


def read_ground_truth(folder: Path) -> list[Planted]:
    with open(folder / "ground_truth.csv", newline="", encoding="utf-8") as f:
        return [Planted(**{**row, "household_id": int(row["household_id"]), "person_id": int(row["person_id"])})
                for row in csv.DictReader(f)]


# --------------------------------------------------------------------------------------------
# Accuracy of the exact-ID engine on the planted facts
# --------------------------------------------------------------------------------------------

@dataclass
class Accuracy:
    expected: int = 0                # planted exact-ID facts
    found: int = 0
    missed: list = field(default_factory=list)        # (household, flag) expected and not raised
    false_flags: list = field(default_factory=list)   # (household, flag) raised and not expected
    households: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.expected if self.expected else 1.0


def check_accuracy(planted: list[Planted], flags_by_household: dict[int, list[str]]) -> Accuracy:
    """Recall on the exact-ID facts, and every flag on a ground-truth household that its planted
    facts do not explain (identity-kind records, decoys and controls must raise none)."""
    accuracy = Accuracy()
    expected: dict[int, set] = defaultdict(set)
    for p in planted:
        expected[p.household_id]
        if p.expected_flag:
            expected[p.household_id].add(p.expected_flag)
    accuracy.households = len(expected)
    for household_id, flags in expected.items():
        raised = set(flags_by_household.get(household_id, []))
        for flag in flags:
            accuracy.expected += 1
            if flag in raised:
                accuracy.found += 1
            else:
                accuracy.missed.append((household_id, flag))
        for flag in sorted(raised - flags):
            accuracy.false_flags.append((household_id, flag))
    return accuracy


def identity_columns() -> list[str]:
    return [c.name for c in IDENTITY_COLUMNS]
