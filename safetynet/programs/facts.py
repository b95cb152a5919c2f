"""The vocabulary the rule modules speak: facts in, outcomes with a breakdown out.

Pure data (no database): services build facts from the registry and parameters from the
standards in force, call a rule in `rules.py`, and store the outcome with the decision, so a
decision can be explained and re-computed years later (DESIGN.md §4 Facts at decision time).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.translation import get_language, gettext, override


@dataclass(frozen=True)
class MemberFacts:
    birth_date: dt.date
    monthly_income: Decimal = Decimal("0")         # counted monthly income (after exclusions)
    excluded_income: Decimal = Decimal("0")        # declared but not counted (MLG-2021 art. 13)
    rigid_expenses: Decimal = Decimal("0")         # monthly illness/disability costs that may be deducted
    disability_type: str = ""                      # "", physical, intellectual, mental, visual, hearing, speech, multiple
    disability_grade: int | None = None            # 1 (most severe) .. 4
    serious_illness: bool = False
    work_ability: str = "full"                     # full | partial | none
    refused_work_times: int = 0                    # MLG-2021 art. 34
    is_applicant: bool = True                      # counts in the household for the gap method
    person_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class AssetFacts:
    financial: Decimal = Decimal("0")              # deposits, securities, funds, insurance, claims, online finance
    homes: int = 0
    non_residential_properties: int = 0
    vehicles: int = 0                              # motor vehicles other than exempt ones
    exempt_vehicles: int = 0                       # a disabled person's mobility vehicle, motorcycle, e-bike
    businesses: int = 0
    business_waived: bool = False                  # a review waived a small shop with no employees


@dataclass(frozen=True)
class HouseholdFacts:
    members: tuple[MemberFacts, ...]
    assets: AssetFacts = field(default_factory=AssetFacts)
    is_urban: bool = False                         # picks the urban or rural standard
    on_date: dt.date = field(default_factory=dt.date.today)   # ages are computed on this date


class BreakdownLine(NamedTuple):
    """One line a town worker can read aloud: what, the figure, the rule and its POLICY.md section.

    A NamedTuple rather than a frozen dataclass: as immutable, and three times cheaper to build,
    which matters when the rules run in bulk (bench/bench_rules.py). `item` and `rule` may be
    `Phrase`s, translated when shown; `as_dict()` gives text."""

    item: str
    amount: Decimal | None
    rule: str
    section: str = ""

    def as_dict(self, language: str | None = None) -> dict:
        """As text, in `language` (default: the active one)."""
        language = language or get_language()
        return {"item": _text(self.item, language), "amount": None if self.amount is None else f"{self.amount:.2f}",
                "rule": _text(self.rule, language), "section": _text(self.section, language)}


@dataclass(frozen=True)
class Outcome:
    eligible: bool
    monthly_amount: Decimal
    reasons: tuple[str, ...] = ()
    breakdown: tuple[BreakdownLine, ...] = ()
    details: dict = field(default_factory=dict)    # rule-specific figures (standard, per-capita income, care level, ...)

    def as_dict(self) -> dict:
        """As stored with a decision or a case: the breakdown and reasons as text in the active
        language, and under "texts" in each other language of the site, so a decision taken in
        the English interface still reads in Chinese on the case page and in the letter the
        household receives (`texts_in`)."""
        data = {"eligible": self.eligible, "details": dict(self.details)}
        data["monthly_amount"] = f"{self.monthly_amount:.2f}"
        language = get_language()
        data["breakdown"] = [line.as_dict(language) for line in self.breakdown]
        data["reasons"] = [_text(reason, language) for reason in self.reasons]
        data["texts"] = {other: {"breakdown": [line.as_dict(other) for line in self.breakdown],
                                 "reasons": [_text(reason, other) for reason in self.reasons]}
                         for other, _name in settings.LANGUAGES if other != language}
        return data


def texts_in(outcome: dict, language: str | None = None) -> tuple[list[dict], list[str]]:
    """A stored outcome's breakdown lines and reasons in `language` (default: the active one): the
    copy kept for that language, else the text as recorded (outcomes stored before both were kept)."""
    language = language or get_language()
    kept = (outcome.get("texts") or {}).get(language)
    if kept is not None:
        return kept.get("breakdown", []), kept.get("reasons", [])
    return outcome.get("breakdown", []), outcome.get("reasons", [])


class Phrase:
    """A message translated only when shown: `Phrase(msgid, params)`.

    The rule functions run tens of thousands of times a second in bulk work (re-checks, payroll
    previews, the benchmark in bench/bench_rules.py); translating every breakdown line there would
    cost more than the arithmetic. The msgid is a module constant marked with gettext_noop, so
    makemessages still finds it; `str()` translates in the active language and interpolates
    (nested Phrases and tuples of them are translated too)."""

    __slots__ = ("msgid", "params")

    def __init__(self, msgid: str, params: dict | None = None):
        self.msgid = msgid
        self.params = params

    def __str__(self) -> str:
        return self.render(get_language())

    def render(self, language: str | None) -> str:
        """The text in `language` (the active one, looked up by the caller once for many)."""
        text = _translated(self.msgid, language)
        if not self.params:
            return text
        return text % {key: _render(value, language) for key, value in self.params.items()}

    def __repr__(self) -> str:
        return f"Phrase({self.msgid!r}, {self.params!r})"

    def __eq__(self, other) -> bool:
        if isinstance(other, Phrase):
            return self.msgid == other.msgid and self.params == other.params
        if isinstance(other, str):
            return str(self) == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.msgid)

    def __contains__(self, text: str) -> bool:
        return text in str(self)


def _render(value, language):
    if isinstance(value, Phrase):
        return value.render(language)
    if isinstance(value, tuple):
        return _translated(", ", language).join(_render(v, language) for v in value)
    return value


def _text(value, language) -> str:
    return value.render(language) if isinstance(value, Phrase) else str(value)


# (language, msgid) -> translation. A decision stores its breakdown as text, a dozen phrases; gettext
# and get_language each look up the thread's translation (a context-local) every time.
_translations: dict[tuple[str | None, str], str] = {}


def _translated(msgid: str, language: str | None) -> str:
    """gettext(msgid) in `language` (None: untranslated, as with translations deactivated)."""
    key = (language, msgid)
    try:
        return _translations[key]
    except KeyError:
        with override(language):
            text = _translations[key] = gettext(msgid)
        return text


def _forget_translations(*, setting, **kwargs):
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS"):    # as Django's own catalogs are
        _translations.clear()


setting_changed.connect(_forget_translations)


@dataclass(frozen=True)
class SupporterFacts:
    """A person legally bound to support a special-hardship applicant (SH-2021 art. 8): spouse,
    parents, adult children. Each flag is one of the ways the law counts a supporter "unable".
    The birth date matters only for the two age-bound ways (a dibao recipient of 60+, 70+ with
    low income and assets); without it those cannot be established."""

    birth_date: dt.date | None = None
    name: str = ""
    relation: str = ""                             # spouse, parent, child, ...
    is_special_hardship: bool = False              # himself a special-hardship person
    is_dibao_recipient: bool = False               # a dibao recipient (unable when aged 60+)
    disability_type: str = ""
    disability_grade: int | None = None
    low_income_and_assets: bool = False            # income and assets low (with age 70+ or severe disability)
    incapacitated: bool = False                    # no or limited civil capacity
    missing: bool = False                          # declared missing / whereabouts unknown
    imprisoned: bool = False                       # serving a prison sentence
    person_id: int | None = None


class _FromValues:
    @classmethod
    def from_values(cls, values: dict, **extra):
        """Build from resolved parameter values (keys as in catalogue.py); extra keys are ignored."""
        names = {f.name for f in fields(cls)}
        merged = {**values, **extra}
        return cls(**{k: v for k, v in merged.items() if k in names})


@dataclass(frozen=True)
class DibaoParameters(_FromValues):
    """The dibao parameters in force for one area and month (POLICY.md §1). Field names are the
    catalogue keys of program "dibao"; selectors.dibao_parameters resolves them from the database,
    tests build them with `from_values`. The standard's area names say where each standard comes
    from, for the breakdown line "Standard (rural, 正定县)"."""

    urban_standard: Decimal | None
    rural_standard: Decimal | None
    increment_ratio_elderly: Decimal
    increment_ratio_minor: Decimal
    increment_ratio_severe_disability: Decimal
    increment_ratio_serious_illness: Decimal
    elderly_age: int
    minor_age: int
    financial_asset_multiple: Decimal
    max_homes: int
    max_non_residential_properties: int
    max_vehicles: int
    max_businesses: int
    margin_multiple: Decimal
    refused_work_limit: int
    gradual_exit_months: int
    rounding: str
    urban_standard_area: str = ""
    rural_standard_area: str = ""

    def standard_for(self, is_urban: bool) -> Decimal | None:
        return self.urban_standard if is_urban else self.rural_standard

    def standard_area_for(self, is_urban: bool) -> str:
        return self.urban_standard_area if is_urban else self.rural_standard_area


@dataclass(frozen=True)
class SpecialHardshipParameters(_FromValues):
    """Special-hardship parameters (POLICY.md §2) plus the dibao parameters they lean on: the
    basic living standard is a multiple of the dibao standard, and "no livelihood" means income
    below the dibao standard with assets within the dibao limits (SH-2021 art. 6)."""

    dibao: DibaoParameters
    basic_living_ratio: Decimal
    care_standard_self_care: Decimal
    care_standard_partial: Decimal
    care_standard_full: Decimal
    elderly_age: int
    minor_age: int
    supporter_elderly_age: int
    supporter_dibao_age: int


@dataclass(frozen=True)
class TemporaryParameters(_FromValues):
    """Temporary-assistance limits (POLICY.md §3) as multiples of the monthly dibao standard of
    the applicant's area (urban or rural, picked when resolving)."""

    standard: Decimal
    quick_aid_multiple: Decimal
    town_limit_multiple: Decimal
    county_limit_multiple: Decimal
    rounding: str
    standard_area: str = ""
    is_urban: bool = False
