"""Writes to the shared kernel: the working-day calendar."""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from .audit import record_event
from .errors import NotFound, ValidationError
from .models import CalendarDay
from .scoping import Actor
from .workdays import clear_cache


@transaction.atomic
def set_calendar_day(*, actor: Actor, date: dt.date, is_working_day: bool, name: str = "") -> CalendarDay:
    """Mark a holiday on a weekday or a make-up working day on a weekend, e.g. when the
    State Council publishes next year's arrangement before the package knows it."""
    actor.require("calendar.edit")
    if not isinstance(date, dt.date):
        raise ValidationError(_("A date is required."), field="date")
    if is_working_day == (date.weekday() < 5):
        kind = _("a working day") if is_working_day else _("a day off")
        raise ValidationError(
            _("%(date)s is already %(kind)s by the ordinary week; only exceptions are recorded.") % {"date": date.isoformat(), "kind": kind},
            field="is_working_day",
        )
    day = CalendarDay.objects.filter(date=date).first()
    before = {"is_working_day": day.is_working_day, "name": day.name, "source": day.source} if day else None
    if day is None:
        day = CalendarDay(date=date)
    day.is_working_day, day.name, day.source = is_working_day, (name or "").strip()[:64], "manual"
    day.save()
    record_event(actor=actor, action="core.set_calendar_day", obj=day, before=before,
                 after={"date": date.isoformat(), "is_working_day": is_working_day, "name": day.name})
    transaction.on_commit(clear_cache)
    return day


@transaction.atomic
def remove_calendar_day(*, actor: Actor, date: dt.date) -> None:
    """Return a day to the ordinary Monday–Friday rule."""
    actor.require("calendar.edit")
    day = CalendarDay.objects.filter(date=date).first()
    if day is None:
        raise NotFound(_("%(date)s is not an exception in the calendar.") % {"date": date.isoformat()})
    record_event(actor=actor, action="core.remove_calendar_day", obj=day,
                 before={"date": date.isoformat(), "is_working_day": day.is_working_day, "name": day.name})
    day.delete()
    transaction.on_commit(clear_cache)
