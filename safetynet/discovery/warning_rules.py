"""Warning rules: their parameters (one validating function per cause, `check_parameters`), the
rules in force for a county (its own row for a cause, else the national default), saving one,
and how each warning ended and each rule's hit rate (`warning_outcome`, `rule_stats`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safetynet.areas.models import Area
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.text import clean_text

from .models import Cause, CloseReason, LeadStatus, WarningLevel
from .warning_models import Warning, WarningCause, WarningRule

RULES = "discovery.rules"
VIEW = "discovery.view"

# The lead's cause for each warning's.
LEAD_CAUSE = {WarningCause.DISABILITY: Cause.DISABILITY, WarningCause.MEDICAL: Cause.MEDICAL_COSTS,
              WarningCause.UNEMPLOYMENT: Cause.JOB_LOSS, WarningCause.DEATH: Cause.EARNER_DEATH,
              WarningCause.DISASTER: Cause.DISASTER, WarningCause.INCOME: Cause.INCOME_DROP}

POPULATION_MONITORED, POPULATION_ALL = "monitored", "all"

# The national defaults (seeded by migration 0002; a county overrides or retires them).
DEFAULTS = {
    WarningCause.DISABILITY: (WarningLevel.ORANGE, {"grades": [1, 2], "lookback_months": 3, "population": "all"}),
    WarningCause.MEDICAL: (WarningLevel.ORANGE, {"threshold": "20000.00", "months": 12, "population": "all"}),
    WarningCause.UNEMPLOYMENT: (WarningLevel.YELLOW, {"lookback_months": 3, "population": "all"}),
    WarningCause.DEATH: (WarningLevel.RED, {"lookback_months": 3, "population": "all"}),
    WarningCause.DISASTER: (WarningLevel.RED, {"lookback_months": 3, "population": "all"}),
    WarningCause.INCOME: (WarningLevel.ORANGE, {"margin_multiple": "1.5", "population": "all"}),
}

PARAMETER_LABELS = {
    "grades": gettext_lazy("disability grades"), "lookback_months": gettext_lazy("look back (months)"),
    "population": gettext_lazy("population"), "threshold": gettext_lazy("threshold (yuan)"),
    "months": gettext_lazy("over the last (months)"), "margin_multiple": gettext_lazy("margin (× standard)"),
}
CAUSE_PARAMETERS = {
    WarningCause.DISABILITY: ("grades", "lookback_months", "population"),
    WarningCause.MEDICAL: ("threshold", "months", "population"),
    WarningCause.UNEMPLOYMENT: ("lookback_months", "population"),
    WarningCause.DEATH: ("lookback_months", "population"),
    WarningCause.DISASTER: ("lookback_months", "population"),
    WarningCause.INCOME: ("margin_multiple", "population"),
}


def _int(value, name: str, low: int, high: int) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = None
    if number is None or not low <= number <= high:
        raise ValidationError(_("%(field)s: a whole number from %(low)s to %(high)s.")
                              % {"field": PARAMETER_LABELS[name], "low": low, "high": high}, field=f"parameters.{name}")
    return number


def _decimal(value, name: str, low: Decimal, high: Decimal, *, low_open: bool = False) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, TypeError, ValueError):
        number = None
    if number is None or not number.is_finite() or number < low or number > high or (low_open and number == low):
        raise ValidationError(_("%(field)s: a number %(range)s.") % {
            "field": PARAMETER_LABELS[name],
            "range": (_("over %(low)s and at most %(high)s") if low_open else _("from %(low)s to %(high)s"))
            % {"low": low, "high": high}}, field=f"parameters.{name}")
    return number


def check_parameters(cause: str, parameters) -> dict:
    """The rule's parameters, typed and complete, or a ValidationError naming the field
    (`parameters.<name>`). The one place that says what a cause's parameters may be."""
    if cause not in WarningCause.values:
        raise ValidationError(_("Choose the warning's cause."), field="cause")
    if not isinstance(parameters, dict):
        raise ValidationError(_("The parameters are a set of named values."), field="parameters")
    allowed = CAUSE_PARAMETERS[WarningCause(cause)]
    unknown = sorted(set(parameters) - set(allowed))
    if unknown:
        raise ValidationError(_("Not a parameter of this rule: %(names)s.") % {"names": ", ".join(unknown)},
                              field=f"parameters.{unknown[0]}")
    values = dict(DEFAULTS[WarningCause(cause)][1])
    values.update({k: v for k, v in parameters.items() if v not in (None, "")})
    out = {}
    for name in allowed:
        value = values.get(name)
        if name == "population":
            if value not in (POPULATION_MONITORED, POPULATION_ALL):
                raise ValidationError(_("%(field)s: monitored households only, or all registered.")
                                      % {"field": PARAMETER_LABELS[name]}, field="parameters.population")
            out[name] = value
        elif name in ("lookback_months", "months"):
            out[name] = _int(value, name, 1, 24)
        elif name == "threshold":
            out[name] = f"{_decimal(value, name, Decimal('0'), Decimal('10000000'), low_open=True).quantize(Decimal('0.01'))}"
        elif name == "margin_multiple":
            out[name] = f"{_decimal(value, name, Decimal('1.0'), Decimal('3.0'))}"
        elif name == "grades":
            if isinstance(value, str):
                value = [g for g in value.replace("，", ",").split(",") if g.strip()]
            if not isinstance(value, (list, tuple)) or not value:
                raise ValidationError(_("%(field)s: choose at least one grade from 1 to 4.")
                                      % {"field": PARAMETER_LABELS[name]}, field="parameters.grades")
            grades = set()
            for grade in value:
                try:
                    grade = int(str(grade).strip())
                except ValueError:
                    grade = 0
                if not 1 <= grade <= 4:
                    raise ValidationError(_("%(field)s: grades are 1, 2, 3 and 4.") % {"field": PARAMETER_LABELS[name]},
                                          field="parameters.grades")
                grades.add(grade)
            out[name] = sorted(grades)
    return out


def _county(actor: Actor, county_code: str) -> Area:
    area = Area.objects.filter(code=county_code, level="county").first()
    if area is None or not actor.covers(area.code):
        raise NotFound(_("No such county in your scope."), field="county")
    return area


def rules_for_county(county_code: str) -> dict[str, WarningRule]:
    """{cause: the rule in force} for the county: its own row for the cause (retired: none),
    else the national default when active."""
    rules: dict[str, WarningRule] = {}
    own = {}
    for rule in WarningRule.objects.filter(Q(area__isnull=True) | Q(area_id=county_code)):
        if rule.area_id:
            own[rule.cause] = rule
        else:
            rules[rule.cause] = rule
    rules.update(own)
    return {cause: rule for cause, rule in rules.items() if rule.active}


def rules_listed(actor: Actor, county_code: str) -> list[WarningRule]:
    """Every cause's rule as the county sees it (in force, or retired by the county)."""
    actor.require(VIEW)
    area = Area.objects.filter(code=county_code, level="county").first()
    # A town's post reads the rules of its own county (their warnings reach its queue).
    if area is None or not (actor.covers(area.code) or actor.area_code.startswith(area.code)):
        raise NotFound(_("No such county in your scope."), field="county")
    national = {r.cause: r for r in WarningRule.objects.filter(area__isnull=True)}
    national.update({r.cause: r for r in WarningRule.objects.filter(area_id=county_code)})
    return [national[c] for c in WarningCause.values if c in national]


@transaction.atomic
def save_warning_rule(*, actor: Actor, county_code: str, cause: str, level: str, parameters: dict, active: bool = True,
                      note: str = "") -> WarningRule:
    """Save the county's rule for the cause (overriding the national default; `active` False
    retires it). An impossible parameter is refused here, naming the field."""
    actor.require(RULES)
    county = _county(actor, county_code)
    if level not in WarningLevel.values:
        raise ValidationError(_("Choose red, orange or yellow."), field="level")
    typed = check_parameters(cause, parameters)
    note = clean_text(note or "", field="note")
    if len(note) > 500:
        raise ValidationError(_("At most %(n)s characters.") % {"n": 500}, field="note")
    rule = WarningRule.objects.select_for_update().filter(area=county, cause=cause).first()
    before = None
    if rule is None:
        rule = WarningRule(area=county, cause=cause)
    else:
        before = {"level": rule.level, "parameters": rule.parameters, "active": rule.active}
    rule.level, rule.parameters, rule.active, rule.note, rule.updated_by_id = level, typed, bool(active), note, actor.user_id
    rule.save()
    record_event(actor=actor, action="discovery.save_warning_rule", obj=rule, before=before,
                 after={"county": county.code, "cause": cause, "level": level, "parameters": typed, "active": rule.active})
    return rule


def get_rule(actor: Actor, rule_id) -> WarningRule:
    """A rule the actor may see: national, or of a county in scope (else 404)."""
    actor.require(VIEW)
    try:
        rule = WarningRule.objects.get(pk=int(rule_id))
    except (WarningRule.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    if rule.area_id and not actor.covers(rule.area_id) and not rule.area_id.startswith(actor.area_code):
        raise NotFound(_("Not found."))
    return rule


# ---------------------------------------------------------------------------------------------
# How a warning ended
# ---------------------------------------------------------------------------------------------
class Outcome:
    OPEN = "open"
    HELPED = "helped"
    REFERRED = "referred"
    NOT_IN_NEED = "not_in_need"
    NOT_FOUND = "not_found"


OUTCOME_LABELS = {Outcome.OPEN: gettext_lazy("not ended yet"), Outcome.HELPED: gettext_lazy("in need and helped"),
                  Outcome.REFERRED: gettext_lazy("in need and referred"), Outcome.NOT_IN_NEED: gettext_lazy("not in need"),
                  Outcome.NOT_FOUND: gettext_lazy("could not be found")}
IN_NEED = (Outcome.HELPED, Outcome.REFERRED)
_CLOSED = {CloseReason.NOT_IN_NEED: Outcome.NOT_IN_NEED, CloseReason.DECLINED: Outcome.NOT_IN_NEED,
           CloseReason.MOVED_AWAY: Outcome.NOT_IN_NEED, CloseReason.NOT_FOUND: Outcome.NOT_FOUND,
           CloseReason.HELPED_OTHERWISE: Outcome.HELPED}


def warning_outcome(status: str, close_reason: str = "", in_need: bool | None = None) -> str:
    """How a warning ended, from how its lead ended (a merged lead: pass the lead it merged into).
    The one place that says so, for the rule pages and the dashboard."""
    if status == LeadStatus.APPLIED:
        return Outcome.HELPED
    if status == LeadStatus.REFERRED:
        return Outcome.REFERRED
    if status == LeadStatus.CLOSED:
        if close_reason in _CLOSED:
            return _CLOSED[close_reason]
        return Outcome.HELPED if in_need else Outcome.NOT_IN_NEED
    return Outcome.OPEN


def outcomes_of(warnings) -> dict[int, str]:
    """{warning id: outcome} for a queryset of warnings, in two queries (merged leads followed)."""
    from .models import Lead

    rows = list(warnings.values_list("pk", "lead_id"))
    leads = {}
    wanted = {lead for _w, lead in rows if lead}
    while wanted:
        found = {pk: (status, reason, need, into) for pk, status, reason, need, into in Lead.objects.filter(pk__in=wanted)
                 .values_list("pk", "status", "close_reason", "in_need", "merged_into_id")}
        leads.update(found)
        wanted = {v[3] for v in found.values() if v[3] and v[3] not in leads}

    def final(lead_id, depth=0):
        status, reason, need, into = leads[lead_id]
        if status == LeadStatus.MERGED and into and into in leads and depth < 20:
            return final(into, depth + 1)
        return warning_outcome(status, reason, need)

    return {pk: (final(lead) if lead in leads else Outcome.OPEN) for pk, lead in rows}


@dataclass
class RuleStats:
    raised: int = 0
    ended: int = 0
    in_need: int = 0
    outcomes: dict | None = None

    @property
    def hit_rate(self) -> float | None:
        """In need / ended (None before any warning ended)."""
        return self.in_need / self.ended if self.ended else None

    @property
    def hit_rate_percent(self) -> str:
        return "—" if self.hit_rate is None else f"{self.hit_rate * 100:.0f}%"


def rule_stats(rules, *, area_code: str = "") -> dict[int, RuleStats]:
    """{rule id: raised, ended, in need, outcomes} over the rules' warnings (within `area_code`)."""
    warnings = Warning.objects.filter(rule__in=list(rules))
    if area_code:
        warnings = warnings.filter(area__code__startswith=area_code)
    outcomes = outcomes_of(warnings)
    by_rule = dict(warnings.values_list("pk", "rule_id"))
    stats: dict[int, RuleStats] = {r.pk: RuleStats(outcomes=Counter()) for r in rules}
    for pk, outcome in outcomes.items():
        s = stats[by_rule[pk]]
        s.raised += 1
        s.outcomes[outcome] += 1
        if outcome != Outcome.OPEN:
            s.ended += 1
        if outcome in IN_NEED:
            s.in_need += 1
    return stats
