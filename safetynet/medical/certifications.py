"""Certifying a person for a medical assistance category by hand (issue 20; POLICY.md §4).

Categories such as "returned to poverty" or "impoverished by illness" have no enrollment behind
them: the town worker (for her town) or the county officer certifies the person, for a period,
with the reason and evidence. A valid certification qualifies the person for the category
(`qualification.qualifications`), whatever the category's `qualify_by`. One live certification
of a category per person at a time: an overlapping one is refused naming the one that stands
(revoke it first, or start after it ends). A certification runs at most three years; a revoked
one stops at once. The person is found by the ID number, within the post's area (else 404).
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.idnumbers import parse_id_number
from safetynet.core.scoping import Actor, in_scope
from safetynet.core.text import clean_field, normalise_text
from safetynet.registry.models import Person

from .models import Certification
from .terms import categories_for

VIEW = "medical.view"
CERTIFY = "medical.certify"
MAX_YEARS = 3
LIVE, EXPIRED, REVOKED, FUTURE = "live", "expired", "revoked", "future"
STATUSES = (LIVE, FUTURE, EXPIRED, REVOKED)


def status_labels() -> dict[str, str]:
    return {LIVE: _("in force"), FUTURE: _("not yet in force"), EXPIRED: _("expired"), REVOKED: _("revoked")}


def certification_status(row: Certification, on: dt.date) -> str:
    if row.revoked_at is not None:
        return REVOKED
    if row.valid_until < on:
        return EXPIRED
    if row.valid_from > on:
        return FUTURE
    return LIVE


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:                      # 29 February
        return day.replace(year=day.year + years, day=28)


def _snapshot(row: Certification) -> dict:
    return {"person": row.person_id, "category": row.category_code, "area": row.area_id,
            "valid_from": row.valid_from.isoformat(), "valid_until": row.valid_until.isoformat(), "reason": row.reason}


def find_person(actor: Actor, id_number) -> Person:
    """The person of the ID number within the post's area, or 404 (outside the area as if unknown)."""
    number = parse_id_number(id_number, field="id_number", today=clocks.today()).number
    person = in_scope(Person.objects.select_related("household", "area"), actor).filter(id_number=number).first()
    if person is None:
        raise NotFound(_("No person with this ID number in your area."), field="id_number")
    return person


@transaction.atomic(durable=True)
def certify_person(*, actor: Actor, id_number, category_code, valid_from, valid_until, reason) -> Certification:
    """Certify the person for the category from `valid_from` to `valid_until` (at most three years)."""
    actor.require(CERTIFY)
    person = find_person(actor, id_number)
    if person.is_deceased:
        raise ValidationError(_("%(name)s is recorded as deceased.") % {"name": person.name}, field="id_number")
    code = normalise_text(category_code).lower()
    categories = categories_for(person.area_id)
    if code not in categories:
        raise ValidationError(_("Choose a category in use in the person's county."), field="category_code")
    start = parse_date(valid_from, field="valid_from", required=True)
    end = parse_date(valid_until, field="valid_until", required=True)
    if end < start:
        raise ValidationError(_("The certification ends before it begins."), field="valid_until")
    if end >= _add_years(start, MAX_YEARS):
        raise ValidationError(_("A certification runs at most %(n)s years: certify again when it ends.")
                              % {"n": MAX_YEARS}, field="valid_until")
    if end < clocks.today():
        raise ValidationError(_("The period has already ended."), field="valid_until")
    reason = clean_field(reason, "reason", max_length=1000, required=True, multiline=True)
    Person.objects.select_for_update().filter(pk=person.pk).first()   # one certifier at a time per person
    standing = (Certification.objects.filter(person=person, category_code=code, revoked_at__isnull=True,
                                             valid_from__lte=end, valid_until__gte=start).order_by("valid_from").first())
    if standing is not None:
        raise Conflict(_("%(name)s is already certified for %(category)s from %(start)s to %(end)s (certification "
                         "no. %(id)s): revoke it first, or begin after it ends.")
                       % {"name": person.name, "category": categories[code].name, "start": standing.valid_from.isoformat(),
                          "end": standing.valid_until.isoformat(), "id": standing.pk},
                       field="valid_from", code="certification_overlaps", details={"certification": standing.pk})
    row = Certification.objects.create(person=person, category_code=code, area_id=person.area_id, valid_from=start,
                                       valid_until=end, reason=reason, certified_by=actor.username,
                                       certified_by_post_id=actor.post_id)
    record_event(actor=actor, action="medical.certify_person", obj=row, after=_snapshot(row))
    return row


@transaction.atomic(durable=True)
def revoke_certification(*, actor: Actor, certification_id, reason) -> Certification:
    """Stop a certification at once (wrong, or the person's situation changed)."""
    actor.require(CERTIFY)
    try:
        pk = int(certification_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    row = in_scope(Certification.objects.select_for_update(), actor).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Not found."))
    reason = clean_field(reason, "reason", max_length=500, required=True)
    if row.revoked_at is not None:
        raise Conflict(_("This certification was revoked on %(day)s.")
                       % {"day": timezone.localdate(row.revoked_at).isoformat()}, code="already_revoked")
    before = _snapshot(row)
    row.revoked_at, row.revoked_by, row.revoke_reason = timezone.now(), actor.username, reason
    row.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    record_event(actor=actor, action="medical.revoke_certification", obj=row, before=before,
                 after={**_snapshot(row), "revoked_by": row.revoked_by, "revoke_reason": reason})
    return row


def certifications_in_scope(actor: Actor, *, q: str = "", category: str = "", status: str = "",
                            on: dt.date | None = None) -> QuerySet[Certification]:
    """The certifications of people in the post's area, newest first; `q` an ID number or a
    name (or its beginning), `status` one of STATUSES on the day `on` (today)."""
    actor.require(VIEW)
    on = on or clocks.today()
    qs = in_scope(Certification.objects.select_related("person", "area"), actor)
    q = normalise_text(q)[:50]
    if q:
        number = "".join(q.split()).upper() if q[:1].isdigit() else ""
        qs = qs.filter(Q(person__id_number__startswith=number) if number else Q(person__name__startswith=q))
    category = normalise_text(category).lower()
    if category:
        qs = qs.filter(category_code=category)
    if status == REVOKED:
        qs = qs.filter(revoked_at__isnull=False)
    elif status == EXPIRED:
        qs = qs.filter(revoked_at__isnull=True, valid_until__lt=on)
    elif status == FUTURE:
        qs = qs.filter(revoked_at__isnull=True, valid_from__gt=on)
    elif status == LIVE:
        qs = qs.filter(revoked_at__isnull=True, valid_from__lte=on, valid_until__gte=on)
    return qs.order_by("-created_at", "-id")


def get_certification(actor: Actor, certification_id) -> Certification:
    actor.require(VIEW)
    try:
        pk = int(certification_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found.")) from None
    row = in_scope(Certification.objects.select_related("person", "area"), actor).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("Not found."))
    return row
