"""The catalogue of programs and their parameters: every number the rules and the clocks use,
with its type, label, default and source (POLICY.md §1–3).

Pure data, no database. The defaults here are seeded as national rows effective 2021-07-01 by
migration 0002 (MLG-2021 came into force that day); areas override them with their own rows
(selectors.parameters_for picks the deepest area). Where POLICY.md marks a number as a
**local default** rather than a national rule, `local_default` is True and the pages say so.

The dibao standards themselves have no national default: counties set them (MLG-2021 art. 23).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from safetynet.core.errors import ValidationError
from safetynet.core.money import parse_money

DIBAO = "dibao"
SPECIAL_HARDSHIP = "special_hardship"
TEMPORARY = "temporary"
DISCOVERY = "discovery"   # not a program people apply for: the time limits of active discovery (POLICY.md §6)
OVERSIGHT = "oversight"   # not a program either: the limits and thresholds of transparency and supervision
WORKFORCE = "workforce"   # nor this: training hours, staffing norms, work subsidies, budgets and purchased services
MEDICAL = "medical"       # medical assistance: its categories' terms are medical.CategoryTerms; here its area figures and limits

PROGRAMS: dict[str, dict] = {
    DIBAO: {"name": _("Minimum living guarantee (dibao)"),
            "description": _("Monthly cash support for households whose per-capita income is below the local standard (MLG-2021).")},
    SPECIAL_HARDSHIP: {"name": _("Special hardship support"),
                       "description": _("Basic living and care for elderly, disabled or minor people with no ability to work, no livelihood and no able supporter (SH-2021).")},
    TEMPORARY: {"name": _("Temporary assistance"),
                "description": _("One-off aid after an emergency or for expenses a household cannot bear (TA-2018, TA-2026).")},
    DISCOVERY: {"name": _("Active discovery and monitoring"),
                "description": _("Time limits for acting on reports of people in need and on warnings from department data (Opinions on Reforming and Improving the Social Assistance System).")},
    OVERSIGHT: {"name": _("Transparency and supervision"),
                "description": _("Time limits for complaints and inspection findings, spot-check sizes and the thresholds of the anomaly reports.")},
    WORKFORCE: {"name": _("Workforce, subsidies and purchased services"),
                "description": _("Training hours required each year, staffing norms, the rates of the work subsidies, budget warnings and the scale of project evaluations.")},
    MEDICAL: {"name": _("Medical assistance"),
              "description": _("Assistance with the self-paid part of a medical bill after basic medical insurance and critical-illness insurance, settled at designated hospitals or reimbursed on application (MA-2021).")},
}
# The programs a household applies for (DISCOVERY, OVERSIGHT and WORKFORCE hold parameters only).
ASSISTANCE_PROGRAMS = (DIBAO, SPECIAL_HARDSHIP, TEMPORARY)

# Parameter types: how a value is entered, checked and shown.
MONEY = "money"                # yuan, two places
RATIO = "ratio"                # a factor: 0.30 = 30 %, 1.5 = one and a half times
INTEGER = "integer"
WORKING_DAYS = "working_days"
CALENDAR_DAYS = "calendar_days"
MONTHS = "months"
BOOLEAN = "boolean"
CHOICE = "choice"

TYPE_LABELS = {
    MONEY: _("amount (yuan)"), RATIO: _("ratio"), INTEGER: _("whole number"), WORKING_DAYS: _("working days"),
    CALENDAR_DAYS: _("calendar days"), MONTHS: _("months"), BOOLEAN: _("yes / no"), CHOICE: _("choice"),
}

ROUNDING_CHOICES = {"half_up": _("half up to the cent"), "down": _("down to the cent"), "up": _("up to the cent")}


@dataclass(frozen=True)
class ParameterSpec:
    program: str
    key: str
    type: str
    label: str
    default: object          # None: no national default (must be set by an area)
    source: str              # POLICY.md section and document
    local_default: bool = False
    choices: dict | None = None
    minimum: Decimal | int | None = None
    maximum: Decimal | int | None = None


def _spec(program, key, type_, label, default, source, *, local=False, choices=None, minimum=None, maximum=None):
    if type_ in (MONEY, RATIO) and default is not None:
        default = Decimal(default)
    return ParameterSpec(program, key, type_, label, default, source, local, choices, minimum, maximum)


_D = Decimal
SPECS: tuple[ParameterSpec, ...] = (
    # --- dibao: standards, amount, assets (POLICY.md §1) ---
    _spec(DIBAO, "urban_standard", MONEY, _("Urban dibao standard (per person per month)"), None,
          "POLICY.md §1 · MLG-2021 art. 23", minimum=_D("0.01"), maximum=_D("100000")),
    _spec(DIBAO, "rural_standard", MONEY, _("Rural dibao standard (per person per month)"), None,
          "POLICY.md §1 · MLG-2021 art. 23", minimum=_D("0.01"), maximum=_D("100000")),
    _spec(DIBAO, "increment_ratio_elderly", RATIO, _("Increment for an elderly member (× standard)"), "0.30",
          "POLICY.md §1 · MLG-2021 art. 27", local=True, minimum=_D("0"), maximum=_D("5")),
    _spec(DIBAO, "increment_ratio_minor", RATIO, _("Increment for a minor (× standard)"), "0.30",
          "POLICY.md §1 · MLG-2021 art. 27", local=True, minimum=_D("0"), maximum=_D("5")),
    _spec(DIBAO, "increment_ratio_severe_disability", RATIO, _("Increment for a severely disabled member (× standard)"), "0.30",
          "POLICY.md §1 · MLG-2021 art. 27", local=True, minimum=_D("0"), maximum=_D("5")),
    _spec(DIBAO, "increment_ratio_serious_illness", RATIO, _("Increment for a seriously ill member (× standard)"), "0.30",
          "POLICY.md §1 · MLG-2021 art. 27", local=True, minimum=_D("0"), maximum=_D("5")),
    _spec(DIBAO, "elderly_age", INTEGER, _("Elderly from age"), 70, "POLICY.md §1 · MLG-2021 art. 27", local=True,
          minimum=50, maximum=100),
    _spec(DIBAO, "minor_age", INTEGER, _("Minor under age"), 18, "POLICY.md §1 · MLG-2021 art. 27", local=True,
          minimum=1, maximum=30),
    _spec(DIBAO, "financial_asset_multiple", RATIO, _("Financial assets limit (× standard × members)"), "24",
          "POLICY.md §1 · MLG-2021 art. 14", local=True, minimum=_D("0"), maximum=_D("1000")),
    _spec(DIBAO, "max_homes", INTEGER, _("Homes allowed"), 1, "POLICY.md §1 · MLG-2021 art. 14", local=True,
          minimum=0, maximum=10),
    _spec(DIBAO, "max_non_residential_properties", INTEGER, _("Non-residential properties allowed"), 0,
          "POLICY.md §1 · MLG-2021 art. 14", local=True, minimum=0, maximum=10),
    _spec(DIBAO, "max_vehicles", INTEGER, _("Motor vehicles allowed (besides exempt ones)"), 0,
          "POLICY.md §1 · MLG-2021 art. 14", local=True, minimum=0, maximum=10),
    _spec(DIBAO, "max_businesses", INTEGER, _("Registered businesses allowed (unless waived)"), 0,
          "POLICY.md §1 · MLG-2021 art. 14", local=True, minimum=0, maximum=10),
    _spec(DIBAO, "margin_multiple", RATIO, _("Low-income margin (× standard)"), "1.5",
          "POLICY.md §1 · MLG-2021 art. 8", minimum=_D("1"), maximum=_D("5")),
    _spec(DIBAO, "refused_work_limit", INTEGER, _("Refusals of suitable work before a member's share stops"), 3,
          "POLICY.md §1 · MLG-2021 art. 34", minimum=1, maximum=20),
    _spec(DIBAO, "gradual_exit_months", MONTHS, _("Gradual exit (months of continued payment)"), 6,
          "POLICY.md §1 · MLG-2021 art. 33", local=True, minimum=0, maximum=36),
    _spec(DIBAO, "rounding", CHOICE, _("Rounding of amounts"), "half_up", "POLICY.md §1 · DESIGN.md §4 Money",
          choices=ROUNDING_CHOICES),
    # --- dibao: procedure and time limits (POLICY.md §1 steps) ---
    _spec(DIBAO, "survey_start_days", WORKING_DAYS, _("Household survey starts within"), 3,
          "POLICY.md §1 step 3 · MLG-2021 art. 15", minimum=1, maximum=60),
    _spec(DIBAO, "verification_start_days", WORKING_DAYS, _("Economic verification starts within"), 3,
          "POLICY.md §1 step 4 · MLG-2021 art. 17", minimum=1, maximum=60),
    _spec(DIBAO, "notice_days", CALENDAR_DAYS, _("Public notice lasts"), 7,
          "POLICY.md §1 step 5 · MLG-2021 art. 19", minimum=1, maximum=60),
    _spec(DIBAO, "confirmation_days", WORKING_DAYS, _("County confirmation within"), 10,
          "POLICY.md §1 step 6 · MLG-2021 art. 20", minimum=1, maximum=60),
    _spec(DIBAO, "refusal_letter_days", WORKING_DAYS, _("Refusal explained in writing within"), 3,
          "POLICY.md §1 step 6 · MLG-2021 art. 21", minimum=1, maximum=60),
    _spec(DIBAO, "case_days", WORKING_DAYS, _("Whole case within"), 30,
          "POLICY.md §1 step 6 · MLG-2021 art. 22", minimum=1, maximum=120),
    _spec(DIBAO, "case_extended_days", WORKING_DAYS, _("Whole case, when extended, within"), 45,
          "POLICY.md §1 step 6 · MLG-2021 art. 22", minimum=1, maximum=180),
    _spec(DIBAO, "recheck_days", WORKING_DAYS, _("Re-check after a reported change or new department data within"), 10,
          "POLICY.md §1 Dynamic management · MLG-2021 art. 30–31; the 10 days of SH-2021 art. 22", local=True,
          minimum=1, maximum=60),
    _spec(DIBAO, "mandatory_deliberation", BOOLEAN, _("Deliberation meeting for every case"), False,
          "POLICY.md §1 step 5 · MLG-2012 art. 21–22"),
    _spec(DIBAO, "confirmation_delegated", BOOLEAN, _("Confirmation delegated to towns"), False,
          "POLICY.md §1 step 6 · MLG-2021 art. 2"),
    _spec(DIBAO, "four_eyes_confirmation", BOOLEAN,
          _("Four eyes: whoever signed the verification report or gave the town opinion does not confirm the case"),
          True, "POLICY.md §1 steps 4–6 · MLG-2021 art. 17–20 (verification, town review and confirmation are separate "
          "steps); a local internal-control default", local=True),

    # --- dibao: how old department data may be for a verification report (POLICY.md §5) ---
    # Local defaults, per kind of dataset (verification/schemas.py names each dataset's kind): a
    # report read from a snapshot older than this says so at the top, is never called clean, and
    # its sign-off needs a reason for the dataset (verification/coverage.py).
    _spec(DIBAO, "data_max_age_civil", CALENDAR_DAYS,
          _("Department data is out of date after: household registrations and deaths (public security)"), 31,
          "POLICY.md §5 · MLG-2021 art. 17; local default: deaths are read every month, so a payment stops the "
          "month after (MLG-2021 art. 30–31)", local=True, minimum=1, maximum=3660),
    _spec(DIBAO, "data_max_age_income", CALENDAR_DAYS,
          _("Department data is out of date after: wages, taxes, pensions, benefits, provident fund, medical costs"), 62,
          "POLICY.md §5 · MLG-2021 art. 13, 17; local default: income counts over the months before the snapshot, "
          "so an older one misses the household's latest months", local=True, minimum=1, maximum=3660),
    _spec(DIBAO, "data_max_age_finance", CALENDAR_DAYS,
          _("Department data is out of date after: deposits, securities, insurance"), 92,
          "POLICY.md §5 · MLG-2021 art. 14, 17; local default: balances as of the last quarter", local=True,
          minimum=1, maximum=3660),
    _spec(DIBAO, "data_max_age_property", CALENDAR_DAYS,
          _("Department data is out of date after: real estate, businesses, vehicles"), 183,
          "POLICY.md §5 · MLG-2021 art. 14, 17; local default: registers of property change slowly, read twice a year",
          local=True, minimum=1, maximum=3660),
    # --- special hardship (POLICY.md §2) ---
    _spec(SPECIAL_HARDSHIP, "basic_living_ratio", RATIO, _("Basic living standard (× dibao standard)"), "1.3",
          "POLICY.md §2 · SH-2021", local=True, minimum=_D("0"), maximum=_D("10")),
    _spec(SPECIAL_HARDSHIP, "care_standard_self_care", MONEY, _("Care standard: full self-care (per month)"), "0",
          "POLICY.md §2 · SH-2021 art. 21–22", local=True, minimum=_D("0"), maximum=_D("100000")),
    _spec(SPECIAL_HARDSHIP, "care_standard_partial", MONEY, _("Care standard: partial care (per month)"), "300",
          "POLICY.md §2 · SH-2021 art. 21–22", local=True, minimum=_D("0"), maximum=_D("100000")),
    _spec(SPECIAL_HARDSHIP, "care_standard_full", MONEY, _("Care standard: full care (per month)"), "800",
          "POLICY.md §2 · SH-2021 art. 21–22", local=True, minimum=_D("0"), maximum=_D("100000")),
    _spec(SPECIAL_HARDSHIP, "elderly_age", INTEGER, _("No ability to work from age"), 60,
          "POLICY.md §2 · SH-2021 art. 5", minimum=40, maximum=100),
    _spec(SPECIAL_HARDSHIP, "minor_age", INTEGER, _("No ability to work under age"), 18,
          "POLICY.md §2 · SH-2021 art. 5; REFORM-2020", minimum=1, maximum=30),
    _spec(SPECIAL_HARDSHIP, "supporter_elderly_age", INTEGER, _("A supporter with low income is unable from age"), 70,
          "POLICY.md §2 · SH-2021 art. 8", minimum=40, maximum=100),
    _spec(SPECIAL_HARDSHIP, "supporter_dibao_age", INTEGER, _("A supporter on dibao is unable from age"), 60,
          "POLICY.md §2 · SH-2021 art. 8", minimum=40, maximum=100),
    _spec(SPECIAL_HARDSHIP, "survey_days", WORKING_DAYS, _("Town survey within"), 15,
          "POLICY.md §2 · SH-2021 art. 13", minimum=1, maximum=60),
    _spec(SPECIAL_HARDSHIP, "notice_days", CALENDAR_DAYS, _("Public notice lasts"), 7,
          "POLICY.md §2 · SH-2021 art. 15", minimum=1, maximum=60),
    _spec(SPECIAL_HARDSHIP, "decision_days", WORKING_DAYS, _("County decision within"), 15,
          "POLICY.md §2 · SH-2021 art. 16", minimum=1, maximum=60),
    _spec(SPECIAL_HARDSHIP, "recheck_days", WORKING_DAYS, _("Reassessment after a reported change within"), 10,
          "POLICY.md §2 · SH-2021 art. 21–22", minimum=1, maximum=60),
    _spec(SPECIAL_HARDSHIP, "spot_check_ratio", RATIO, _("County spot-checks at least (share of cases)"), "0.30",
          "POLICY.md §2 · SH-2021 art. 16", minimum=_D("0"), maximum=_D("1")),
    # --- temporary assistance (POLICY.md §3) ---
    _spec(TEMPORARY, "quick_aid_multiple", RATIO, _("Small-amount quick aid up to (× monthly standard)"), "1",
          "POLICY.md §3 · TA-2026", minimum=_D("0"), maximum=_D("100")),
    _spec(TEMPORARY, "town_limit_multiple", RATIO, _("Town approves up to (× monthly standard)"), "4",
          "POLICY.md §3 · TA-2018", local=True, minimum=_D("0"), maximum=_D("1000")),
    _spec(TEMPORARY, "county_limit_multiple", RATIO, _("County approves up to (× monthly standard); above: case by case"), "10",
          "POLICY.md §3 · TA-2018; REFORM-2020", local=True, minimum=_D("0"), maximum=_D("1000")),
    _spec(TEMPORARY, "paperwork_days", WORKING_DAYS, _("Emergency aid paperwork completed within"), 10,
          "POLICY.md §3 · TA-2018", local=True, minimum=1, maximum=60),
    _spec(TEMPORARY, "quick_aid_days", WORKING_DAYS, _("Quick aid decided within"), 3,
          "POLICY.md §3 · TA-2026", minimum=1, maximum=30),
    # --- active discovery (POLICY.md §6): how fast a lead is acted on, and when it climbs ---
    _spec(DISCOVERY, "lead_acknowledge_days", WORKING_DAYS, _("A lead is acknowledged within"), 1,
          "POLICY.md §6 · REFORM-2020 (active discovery; a local default)", local=True, minimum=1, maximum=10),
    _spec(DISCOVERY, "lead_visit_days", WORKING_DAYS, _("A reported household is visited within"), 3,
          "POLICY.md §6 · REFORM-2020 (active discovery; a local default)", local=True, minimum=1, maximum=30),
    _spec(DISCOVERY, "lead_escalate_days", WORKING_DAYS,
          _("An overdue lead climbs from the town leader to the county after"), 2,
          "POLICY.md §6 (a local default)", local=True, minimum=1, maximum=30),
    _spec(DISCOVERY, "warning_red_days", WORKING_DAYS, _("A red warning is checked by a visit within"), 1,
          "POLICY.md §6 · each warning is checked by a visit (a local default)", local=True, minimum=1, maximum=30),
    _spec(DISCOVERY, "warning_orange_days", WORKING_DAYS, _("An orange warning is checked by a visit within"), 3,
          "POLICY.md §6 · each warning is checked by a visit (a local default)", local=True, minimum=1, maximum=30),
    _spec(DISCOVERY, "warning_yellow_days", WORKING_DAYS, _("A yellow warning is checked by a visit within"), 5,
          "POLICY.md §6 · each warning is checked by a visit (a local default)", local=True, minimum=1, maximum=60),
    _spec(DISCOVERY, "referral_answer_days", WORKING_DAYS, _("A referred department answers within"), 10,
          "POLICY.md §6 · REFORM-2020 (referral to other departments; a local default)", local=True, minimum=1, maximum=60),
    # --- transparency and supervision (POLICY.md §1, §7; issue 18) ---
    _spec(OVERSIGHT, "complaint_at_risk_days", WORKING_DAYS,
          _("A complaint is at risk when its deadline is this many working days away or fewer"), 2,
          "POLICY.md §7 · Regulations on Letters and Visits Work (2022) art. 31–35 (a local default)", local=True, minimum=0, maximum=30),
    _spec(OVERSIGHT, "appeal_days", WORKING_DAYS, _("A reporter may ask for a review of the answer within"), 30,
          "POLICY.md §7 · Regulations on Letters and Visits Work (2022) art. 35 (30 days)", minimum=1, maximum=90),
    _spec(OVERSIGHT, "finding_rectify_days", WORKING_DAYS, _("An inspection finding is answered within"), 20,
          "POLICY.md §1 · REFORM-2020 (joint inspection with supervision, finance and audit; a local default)",
          local=True, minimum=1, maximum=120),
    _spec(OVERSIGHT, "spot_check_ratio", RATIO, _("Spot checks sample at least (share of cases)"), "0.30",
          "POLICY.md §2 · SH-2021 art. 15 (the county spot-checks at least 30 %)", minimum=_D("0.01"), maximum=_D("1")),
    _spec(OVERSIGHT, "spot_check_confidence", RATIO, _("Spot-check sample size: confidence level"), "0.95",
          "POLICY.md §2 · SH-2021 art. 15 (spot checks; the sample size by confidence and margin of error is a local default)", local=True, minimum=_D("0.80"),
          maximum=_D("0.999")),
    _spec(OVERSIGHT, "spot_check_margin", RATIO, _("Spot-check sample size: margin of error"), "0.05",
          "POLICY.md §2 · SH-2021 art. 15 (spot checks; the sample size by confidence and margin of error is a local default)", local=True, minimum=_D("0.01"),
          maximum=_D("0.25")),
    _spec(OVERSIGHT, "near_limit_ratio", RATIO,
          _("An amount or income within this share of its limit counts as near the limit"), "0.10",
          "POLICY.md §2 · SH-2021 art. 15 (spot checks weighted by risk; a local default)", local=True, minimum=_D("0"), maximum=_D("0.5")),
    _spec(OVERSIGHT, "short_survey_minutes", INTEGER, _("A household survey shorter than this is short (minutes)"), 20,
          "POLICY.md §1 step 3 · MLG-2021 art. 15–16 (a local default)", local=True, minimum=1, maximum=480),
    _spec(OVERSIGHT, "outlier_ratio", RATIO,
          _("A worker's average approved amount counts as unusually high above this multiple of the county's"), "1.5",
          "POLICY.md §1 · MLG-2021 art. 20 (supervision of the amounts approved; a local default)", local=True, minimum=_D("1"), maximum=_D("10")),
    _spec(OVERSIGHT, "outlier_min_cases", INTEGER, _("Cases a worker must have before their averages are compared"), 5,
          "POLICY.md §1 · MLG-2021 art. 20 (supervision of the amounts approved; a local default)", local=True, minimum=1, maximum=1000),
    _spec(OVERSIGHT, "board_notice_days", CALENDAR_DAYS,
          _("The village roster and its monthly changes stay posted for"), 7,
          "POLICY.md §7 · MLG-2021 art. 24 (roster and monthly changes noticed; 7 days a local default)", local=True,
          minimum=1, maximum=90),
    # --- workforce, subsidies and purchased services (issue 19) ---
    _spec(WORKFORCE, "training_hours_civil_servant", INTEGER, _("Training hours a year: civil servants"), 40,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=0, maximum=400),
    _spec(WORKFORCE, "training_hours_contracted_assistant", INTEGER, _("Training hours a year: contracted assistants"), 40,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=0, maximum=400),
    _spec(WORKFORCE, "training_hours_village_cadre", INTEGER, _("Training hours a year: village cadres"), 16,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=0, maximum=400),
    _spec(WORKFORCE, "training_hours_grid_worker", INTEGER, _("Training hours a year: grid workers"), 12,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=0, maximum=400),
    _spec(WORKFORCE, "training_hours_provider_worker", INTEGER, _("Training hours a year: providers' workers"), 24,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=0, maximum=400),
    _spec(WORKFORCE, "caseload_per_worker", INTEGER, _("Staffing norm: enrolled households per full-time worker"), 200,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=1, maximum=5000),
    _spec(WORKFORCE, "open_items_per_worker", INTEGER, _("Staffing norm: open work items per full-time worker"), 25,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=1, maximum=1000),
    _spec(WORKFORCE, "min_workers_per_town", INTEGER, _("Staffing norm: full-time workers a town needs at least"), 2,
          "POLICY.md §6 · REFORM-2020 (grass-roots capacity: staff matched to the caseload, training; a local default)", local=True, minimum=1, maximum=100),
    _spec(WORKFORCE, "survey_lost_time_subsidy", MONEY, _("Lost-time subsidy per investigator per household survey"), "50.00",
          "POLICY.md §1 step 3 · REFORM-2020 (work funds: lost-time and transport subsidies for household surveys, subsidies for deliberation meetings; a local default)", local=True, minimum=_D("0"), maximum=_D("1000")),
    _spec(WORKFORCE, "survey_transport_subsidy", MONEY, _("Transport subsidy per investigator per household survey"), "20.00",
          "POLICY.md §1 step 3 · REFORM-2020 (work funds: lost-time and transport subsidies for household surveys, subsidies for deliberation meetings; a local default)", local=True, minimum=_D("0"), maximum=_D("1000")),
    _spec(WORKFORCE, "meeting_subsidy", MONEY, _("Subsidy per participant per deliberation meeting"), "30.00",
          "POLICY.md §1 step 3 · REFORM-2020 (work funds: lost-time and transport subsidies for household surveys, subsidies for deliberation meetings; a local default)", local=True, minimum=_D("0"), maximum=_D("1000")),
    _spec(WORKFORCE, "budget_warning_ratio", RATIO, _("A budget line warns when its spending reaches this share"), "0.90",
          "POLICY.md §1 step 3 · REFORM-2020 (work funds: lost-time and transport subsidies for household surveys, subsidies for deliberation meetings; a local default)", local=True, minimum=_D("0.5"), maximum=_D("1")),
    _spec(WORKFORCE, "project_score_max", INTEGER, _("Project evaluations score out of"), 100,
          "POLICY.md §6 · BUY-2017 (government purchase of services; a local default)", local=True, minimum=5, maximum=1000),
    _spec(WORKFORCE, "project_pass_score", INTEGER, _("A project passes its evaluation with an average score of at least"), 60,
          "POLICY.md §6 · BUY-2017 (government purchase of services; a local default)", local=True, minimum=1, maximum=1000),
    # --- medical assistance (issue 20) ---
    _spec(MEDICAL, "disposable_income_per_capita", MONEY,
          _("Per-capita disposable income of the previous year (the base of the medical deductibles and the illness threshold)"),
          "41314.00",
          "POLICY.md §4 · MA-2021 (deductibles set against the local per-capita disposable income; national figure for 2024, National Bureau of Statistics, a default until the area sets its own)",
          local=True, minimum=_D("1000"), maximum=_D("1000000")),
    _spec(MEDICAL, "reimbursement_decision_days", WORKING_DAYS,
          _("A manual medical reimbursement is decided within"), 10,
          "POLICY.md §4 · MA-2021 (reimbursement on application for bills not settled at a designated institution; a local default)",
          local=True, minimum=1, maximum=60),
    _spec(MEDICAL, "statement_payment_days", WORKING_DAYS,
          _("A designated institution's monthly statement is paid within"), 20,
          "POLICY.md §4 · MA-2021 (one-stop settlement: the assistance fund pays the institution monthly; a local default)",
          local=True, minimum=1, maximum=90),
)

SPEC_BY_KEY: dict[tuple[str, str], ParameterSpec] = {(s.program, s.key): s for s in SPECS}
DEFAULTS_EFFECTIVE_FROM = "2021-07-01"   # MLG-2021 in force


def specs_for(program: str) -> list[ParameterSpec]:
    return [s for s in SPECS if s.program == program]


def get_spec(program: str, key: str) -> ParameterSpec | None:
    return SPEC_BY_KEY.get((program, key))


def default_values(program: str) -> dict:
    """The catalogue defaults of one program, typed (None where an area must set the value)."""
    return {s.key: s.default for s in SPECS if s.program == program}


def program_name(code: str) -> str:
    entry = PROGRAMS.get(code)
    return str(entry["name"]) if entry else code


# --- values as stored (text) and as used (typed) -------------------------------------------------

_TRUE = {"1", "true", "yes", "on", "是"}
_FALSE = {"0", "false", "no", "off", "否"}


def parse_value(spec: ParameterSpec, raw) -> object:
    """Check a value entered for `spec` and return it typed; ValidationError (field "value") with
    a message a county officer understands otherwise."""
    from django.utils.translation import gettext as _t

    text = raw if not isinstance(raw, str) else raw.strip()
    if spec.type == BOOLEAN:
        if isinstance(text, bool):
            return text
        lowered = str(text).lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ValidationError(_t("Answer yes or no."), field="value")
    if spec.type == CHOICE:
        if text in (spec.choices or {}):
            return text
        raise ValidationError(_t("Choose one of: %(choices)s.") % {"choices": ", ".join(spec.choices or {})}, field="value")
    if text is None or text == "":
        raise ValidationError(_t("A value is required."), field="value")
    if spec.type == MONEY:
        value = parse_money(text, field="value", allow_negative=True, maximum=Decimal("1E12"))   # refused, never rounded
    elif spec.type == RATIO:
        try:
            value = Decimal(str(text).replace("¥", ""))
        except ArithmeticError:
            raise ValidationError(_t("Enter a number, e.g. 900.00 or 0.30."), field="value")
        if not value.is_finite():
            raise ValidationError(_t("Enter a number, e.g. 900.00 or 0.30."), field="value")
        places = 4
        if value != value.quantize(Decimal(1).scaleb(-places)):
            raise ValidationError(_t("At most %(n)d decimal places.") % {"n": places}, field="value")
        value = value.quantize(Decimal(1).scaleb(-places))
    else:
        try:
            value = int(str(text))
        except ValueError:
            raise ValidationError(_t("Enter a whole number."), field="value")
    if spec.minimum is not None and value < spec.minimum:
        raise ValidationError(_t("At least %(min)s.") % {"min": spec.minimum}, field="value")
    if spec.maximum is not None and value > spec.maximum:
        raise ValidationError(_t("At most %(max)s.") % {"max": spec.maximum}, field="value")
    return value


def value_to_text(spec: ParameterSpec, value) -> str:
    """The canonical text stored in Parameter.value."""
    if spec.type == BOOLEAN:
        return "true" if value else "false"
    if spec.type == MONEY:
        return f"{Decimal(value):.2f}"
    if spec.type == RATIO:
        return format(Decimal(value).normalize(), "f")
    return str(value)


def value_from_text(spec: ParameterSpec, text: str):
    """Typed value from the stored text (trusted: it was checked when written)."""
    if spec.type == BOOLEAN:
        return text == "true"
    if spec.type == CHOICE:
        return text
    if spec.type in (MONEY, RATIO):
        return Decimal(text)
    return int(text)


def display_value(spec: ParameterSpec, value) -> str:
    """How pages show a value: ¥900.00, 30 %, 1.5 ×, 3 working days, yes/no."""
    from django.utils.translation import gettext as _t

    if value is None:
        return _t("not set")
    if spec.type == MONEY:
        return f"¥{Decimal(value):,.2f}"
    if spec.type == RATIO:
        value = Decimal(value)
        if value < 1 and spec.key.startswith(("increment_ratio", "spot_check")):
            return f"{(value * 100).normalize():f} %"
        return f"{value.normalize():f} ×"
    if spec.type == BOOLEAN:
        return _t("yes") if value else _t("no")
    if spec.type == CHOICE:
        return str((spec.choices or {}).get(value, value))
    if spec.type == WORKING_DAYS:
        return _t("%(n)s working days") % {"n": value}
    if spec.type == CALENDAR_DAYS:
        return _t("%(n)s days") % {"n": value}
    if spec.type == MONTHS:
        return _t("%(n)s months") % {"n": value}
    return str(value)
