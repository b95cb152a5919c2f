"""A lead's deadlines and how far it has climbed (POLICY.md §6; issue 17 part 2).

Deadlines are working days on the calendar (`core/workdays.py`) from the day the lead opened,
read from the catalogue's `discovery` parameters of the lead's area in that month: acknowledged
within `lead_acknowledge_days`; visited within `lead_visit_days`, or, for a warning, within its
level's own limit (`warning_red_days`, ...). A lead is overdue the day after a deadline it has not
met; it then climbs to the town leader, and after `lead_escalate_days` more working days to the
county. `escalation_for` is the one place that says so, for pages and the daily job alike.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from safetynet.core.workdays import add_working_days, working_days_between
from safetynet.programs.catalogue import DISCOVERY
from safetynet.programs.selectors import parameters_for

from .models import Escalation, WarningLevel

LEVEL_KEYS = {WarningLevel.RED: "warning_red_days", WarningLevel.ORANGE: "warning_orange_days",
              WarningLevel.YELLOW: "warning_yellow_days"}


@dataclass(frozen=True)
class Deadlines:
    acknowledge_on: dt.date
    visit_on: dt.date


def limits(area_code: str, on: dt.date) -> dict:
    """The discovery parameters in force for the area on the day."""
    return parameters_for(DISCOVERY, area_code, on)


def deadlines(area_code: str, opened_on: dt.date, level: str = "") -> Deadlines:
    values = limits(area_code, opened_on)
    visit_days = values[LEVEL_KEYS[level]] if level else values["lead_visit_days"]
    acknowledge = add_working_days(opened_on, values["lead_acknowledge_days"])
    visit = add_working_days(opened_on, visit_days)
    return Deadlines(acknowledge, max(visit, acknowledge))


def overdue_since(*, acknowledge_due_on: dt.date, visit_due_on: dt.date, acknowledged: bool, visited: bool) -> dt.date | None:
    """The first deadline the lead has not met (None when it met both or needs nothing more)."""
    missed = []
    if not acknowledged:
        missed.append(acknowledge_due_on)
    if not visited:
        missed.append(visit_due_on)
    return min(missed) if missed else None


def escalation_for(*, area_code: str, acknowledge_due_on: dt.date, visit_due_on: dt.date, acknowledged: bool,
                   visited: bool, today: dt.date) -> str:
    """Where an open lead stands on `today`: not escalated, with the town leader (a deadline
    passed), or with the county (still overdue `lead_escalate_days` working days later)."""
    since = overdue_since(acknowledge_due_on=acknowledge_due_on, visit_due_on=visit_due_on,
                          acknowledged=acknowledged, visited=visited)
    if since is None or today <= since:
        return Escalation.NONE
    climb = limits(area_code, since)["lead_escalate_days"]
    if working_days_between(since, today) > climb:
        return Escalation.COUNTY
    return Escalation.TOWN_LEADER


def lead_escalation(lead, today: dt.date) -> str:
    return escalation_for(area_code=lead.area_id, acknowledge_due_on=lead.acknowledge_due_on,
                          visit_due_on=lead.visit_due_on, acknowledged=lead.acknowledged_at is not None,
                          visited=lead.visited_at is not None, today=today)
