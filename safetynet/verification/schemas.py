"""The departments that hand over data and the datasets they send, declared in code (POLICY.md §5).

Each `Dataset` names its columns with their types, which are required and which form the key
(the import refuses two rows with the same key). Every person dataset carries the same identity
columns: `id_number` (18 digits, or a legacy 15-digit number), `name`, `birth_date` and
`resident_address`. A row needs an ID number, or a name and a birth date: records with an old,
mistyped or missing ID are kept for identity resolution (issue 4, part 3), which the engine
never guesses at (it joins on exact 18-digit numbers only).

Pure data: no database. The importer (importer.py) validates against these declarations, and
the engine (engine.py) knows from `Dataset.finding` what each dataset tells about a household.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext_lazy as _


class Department(models.TextChoices):
    PUBLIC_SECURITY = "public_security", _("public security")
    TAX = "tax", _("tax")
    HRSS = "hrss", _("human resources and social security")
    HOUSING = "housing", _("housing (real estate)")
    MARKET_REGULATION = "market_regulation", _("market regulation")
    VEHICLES = "vehicles", _("vehicle registration")
    PROVIDENT_FUND = "provident_fund", _("housing provident fund")
    FINANCE = "finance", _("banks and finance")
    MEDICAL_INSURANCE = "medical_insurance", _("medical insurance")
    DISABLED_PERSONS = "disabled_persons", _("disabled persons' federation")
    EMERGENCY = "emergency", _("emergency management")


# Column types.
ID_NUMBER = "id_number"   # 18 characters (17 digits and a digit or X) or 15 digits; check digit not enforced
STRING = "string"
DATE = "date"             # YYYY-MM-DD
MONTH = "month"           # YYYY-MM (or a date: its month is kept), stored as the first day
MONEY = "money"           # yuan, 2 places, not negative
NUMBER = "number"         # a measure (area in m²), not negative
CHOICE = "choice"

TYPE_LABELS = {
    ID_NUMBER: _("an ID number (18 characters, or 15 digits)"), STRING: _("text"), DATE: _("a date (YYYY-MM-DD)"),
    MONTH: _("a month (YYYY-MM)"), MONEY: _("an amount in yuan"), NUMBER: _("a number"), CHOICE: _("one of the listed values"),
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = True
    choices: tuple[str, ...] = ()
    past: bool = True          # a date that cannot lie in the future (refused when it does)
    max_length: int = 200


@dataclass(frozen=True)
class Dataset:
    """One kind of file a department sends. `key` names the columns that identify a row (the
    person's identity, `id_number` or else name and birth date, is part of it when listed as
    "identity"); `finding` says what the engine reads from it (engine.py)."""

    code: str
    department: str
    label: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    finding: str = ""
    person: bool = True
    aliases: dict = field(default_factory=dict)
    # A thousands separator the department declared it writes in amounts and measures ("," for
    # 1,234.56), read only where it groups digits by three. None by default: an amount with a
    # separator is refused, since "12,34" may be 12.34 with a decimal comma.
    thousands_separator: str = ""

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def freshness_parameter(self) -> str:
        """The dibao parameter (programs/catalogue.py) saying how old this dataset's snapshot may be."""
        return FRESHNESS_PARAMETERS[self.department]


# How old a department's data may be before a report says it is out of date: one parameter per
# kind of data, resolved per area and month (verification/coverage.py).
FRESHNESS_PARAMETERS = {
    Department.PUBLIC_SECURITY: "data_max_age_civil",
    Department.TAX: "data_max_age_income", Department.HRSS: "data_max_age_income",
    Department.PROVIDENT_FUND: "data_max_age_income", Department.MEDICAL_INSURANCE: "data_max_age_income",
    Department.FINANCE: "data_max_age_finance",
    Department.HOUSING: "data_max_age_property", Department.MARKET_REGULATION: "data_max_age_property",
    Department.VEHICLES: "data_max_age_property",
    # Read by the warnings (discovery/warning_run.py), not by a verification: civil-status data.
    Department.DISABLED_PERSONS: "data_max_age_civil", Department.EMERGENCY: "data_max_age_civil",
}


IDENTITY = "identity"   # in a key: the person, by ID number, else by name and birth date
IDENTITY_COLUMNS = (
    Column("id_number", ID_NUMBER, required=False, max_length=18),
    Column("name", STRING, required=False, max_length=50),
    Column("birth_date", DATE, required=False),
    Column("resident_address", STRING, required=False),
)
# Header spellings departments use, mapped to column names (Chinese headers are the norm).
IDENTITY_ALIASES = {"身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number", "姓名": "name",
                    "出生日期": "birth_date", "住址": "resident_address", "户籍地址": "resident_address"}

VEHICLE_TYPES = ("car", "truck", "van", "bus", "motorcycle", "mobility", "e_bike")
# POLICY.md §1 (MLG-2021 art. 14, local default): a disabled person's mobility vehicle, a
# motorcycle or an e-bike is not the motor vehicle that disqualifies.
EXEMPT_VEHICLE_TYPES = ("motorcycle", "mobility", "e_bike")
PENSION_KINDS = ("enterprise", "public_institution", "resident_basic")
# MLG-2021 art. 13 (POLICY.md §1): the central basic pension for rural and urban residents is not counted.
EXCLUDED_PENSION_KINDS = ("resident_basic",)
PROPERTY_USES = ("residential", "non_residential")
BUSINESS_ROLES = ("legal_rep", "shareholder")
DISABILITY_CATEGORIES = ("visual", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
DISABILITY_GRADES = ("1", "2", "3", "4")


def _person(code, department, label, columns, key, finding, **extra) -> Dataset:
    aliases = dict(IDENTITY_ALIASES)
    aliases.update(extra.pop("aliases", {}))
    return Dataset(code, department, label, IDENTITY_COLUMNS + tuple(columns), key, finding, aliases=aliases, **extra)


C = Column
D = Department
DATASETS: dict[str, Dataset] = {d.code: d for d in (
    _person("public_security_registrations", D.PUBLIC_SECURITY, _("household registrations"),
            [C("sex", CHOICE, required=False, choices=("male", "female")), C("registered_on", DATE, required=False)],
            (IDENTITY,), ""),
    _person("public_security_deaths", D.PUBLIC_SECURITY, _("deaths"), [C("death_date", DATE)], (IDENTITY,), "death",
            aliases={"死亡日期": "death_date"}),
    _person("tax_income", D.TAX, _("individual income tax records"),
            [C("withholder", STRING), C("month", MONTH), C("taxable_income", MONEY), C("tax_paid", MONEY, required=False)],
            (IDENTITY, "withholder", "month"), "taxable_income"),
    _person("hrss_wages", D.HRSS, _("wages (social insurance contributions)"),
            [C("employer", STRING), C("month", MONTH), C("gross_wage", MONEY), C("net_wage", MONEY)],
            (IDENTITY, "employer", "month"), "wages",
            aliases={"单位": "employer", "月份": "month", "应发工资": "gross_wage", "实发工资": "net_wage"},
            thousands_separator=","),   # the wage export writes 5,000.00 (declared, so read strictly by threes)
    _person("pensions", D.HRSS, _("pensions"),
            [C("kind", CHOICE, choices=PENSION_KINDS), C("monthly_amount", MONEY), C("since", DATE, required=False)],
            (IDENTITY, "kind"), "pension"),
    _person("unemployment", D.HRSS, _("unemployment benefit"),
            [C("monthly_amount", MONEY), C("since", DATE, required=False), C("until", DATE, required=False, past=False)],
            (IDENTITY,), "unemployment"),
    _person("real_estate", D.HOUSING, _("real estate"),
            [C("address", STRING), C("use", CHOICE, choices=PROPERTY_USES), C("area_m2", NUMBER, required=False),
             C("registered_on", DATE, required=False)],
            (IDENTITY, "address"), "property"),
    _person("businesses", D.MARKET_REGULATION, _("businesses and shareholders"),
            [C("company", STRING), C("role", CHOICE, choices=BUSINESS_ROLES), C("registered_capital", MONEY, required=False),
             C("registered_on", DATE, required=False)],
            (IDENTITY, "company", "role"), "business"),
    _person("vehicles", D.VEHICLES, _("motor vehicles"),
            [C("plate", STRING, max_length=16), C("vehicle_type", CHOICE, choices=VEHICLE_TYPES),
             C("registered_on", DATE, required=False)],
            ("plate",), "vehicle"),
    _person("provident_fund", D.PROVIDENT_FUND, _("housing provident fund accounts"),
            [C("monthly_deposit", MONEY), C("balance", MONEY), C("as_of", DATE, required=False)],
            (IDENTITY,), "provident_fund"),
    _person("deposits", D.FINANCE, _("bank deposits"),
            [C("bank", STRING), C("balance", MONEY), C("as_of", DATE)], (IDENTITY, "bank"), "deposit"),
    _person("securities", D.FINANCE, _("securities accounts"),
            [C("broker", STRING), C("market_value", MONEY), C("as_of", DATE)], (IDENTITY, "broker"), "securities"),
    _person("insurance", D.FINANCE, _("commercial insurance policies"),
            [C("insurer", STRING), C("policy_no", STRING, max_length=40), C("cash_value", MONEY), C("as_of", DATE)],
            ("insurer", "policy_no"), "insurance"),
    _person("medical_costs", D.MEDICAL_INSURANCE, _("self-paid medical costs"),
            [C("self_paid", MONEY), C("period_end", DATE)], (IDENTITY, "period_end"), "medical"),
    # Read by the warnings only (no `finding`: a verification ignores them).
    _person("disability_certificates", D.DISABLED_PERSONS, _("disability certificates"),
            [C("certificate_no", STRING, max_length=40), C("category", CHOICE, choices=DISABILITY_CATEGORIES),
             C("grade", CHOICE, choices=DISABILITY_GRADES), C("issued_on", DATE)],
            (IDENTITY, "certificate_no"), "",
            aliases={"残疾证号": "certificate_no", "残疾类别": "category", "残疾等级": "grade", "发证日期": "issued_on"}),
    # Addresses and areas hit by a disaster: no person in it, so no identity columns (person=False);
    # a row names an address, an area code (a village, town or county), or both.
    Dataset("disaster_addresses", D.EMERGENCY, _("disaster list of addresses"),
            (C("event", STRING, max_length=100), C("occurred_on", DATE), C("address", STRING, required=False),
             C("area_code", STRING, required=False, max_length=18)),
            ("event", "address", "area_code"), "", person=False,
            aliases={"灾害事件": "event", "发生日期": "occurred_on", "地址": "address", "区划代码": "area_code"}),
)}


def get_dataset(code: str) -> Dataset | None:
    return DATASETS.get(code)


def datasets_of(department: str) -> list[Dataset]:
    return [d for d in DATASETS.values() if d.department == department]


def dataset_choices() -> list[tuple[str, str]]:
    return [(d.code, d.label) for d in DATASETS.values()]
