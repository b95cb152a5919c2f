"""Designated institutions' API keys (issue 20 part 2): issued, rotated and revoked by the county,
checked on every request of a cashier system.

A key is `mi_<prefix>_<secret>`, shown once when issued; only its SHA-256 is kept
(`core.apiauth.hash_token`), with the prefix to tell keys apart on the page. Rotating issues a new
key and lets the old one work until `overlap_hours` later (0: at once), so the hospital can switch
without a failed bill; revoking stops a key at once. `InstitutionKeyAuth` is the API's scheme for
the institution-facing endpoints: a key that is unknown, revoked, expired, or whose institution
is inactive answers 401, and nothing else is read.
"""
from __future__ import annotations

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from safetynet.core.apiauth import hash_token
from safetynet.core.audit import record_event
from safetynet.core.errors import NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.statements import Prepared

from .models import Institution, InstitutionKey

MANAGE = "medical.institutions"
PREFIX = "mi_"
MAX_OVERLAP_HOURS = 72
LAST_USED_EVERY = dt.timedelta(seconds=60)   # last_used_at written at most once a minute per key


def _institution(actor: Actor, institution_id) -> Institution:
    actor.require(MANAGE)
    try:
        institution = Institution.objects.select_for_update().get(pk=int(institution_id))
    except (Institution.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such institution.")) from None
    if not actor.covers(institution.area_id):
        raise NotFound(_("No such institution."))
    return institution


def _new_key(institution: Institution, actor: Actor) -> tuple[InstitutionKey, str]:
    prefix = secrets.token_hex(4)
    secret = f"{PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = InstitutionKey.objects.create(institution=institution, prefix=prefix, key_hash=hash_token(secret),
                                        created_by=actor.username)
    return key, secret


@transaction.atomic
def issue_key(*, actor: Actor, institution_id) -> tuple[InstitutionKey, str]:
    """A new key for the institution, and its secret (shown once, never stored)."""
    institution = _institution(actor, institution_id)
    key, secret = _new_key(institution, actor)
    record_event(actor=actor, action="medical.issue_key", obj=key, after={"institution": institution.code, "prefix": key.prefix})
    return key, secret


@transaction.atomic
def rotate_key(*, actor: Actor, institution_id, overlap_hours=24) -> tuple[InstitutionKey, str]:
    """A new key; every other live key of the institution expires `overlap_hours` from now."""
    try:
        overlap = int(str(overlap_hours).strip())
    except (TypeError, ValueError):
        overlap = -1
    if not 0 <= overlap <= MAX_OVERLAP_HOURS:
        raise ValidationError(_("The old key may keep working from 0 to %(max)s hours.") % {"max": MAX_OVERLAP_HOURS},
                              field="overlap_hours")
    institution = _institution(actor, institution_id)
    now = timezone.now()
    until = now + dt.timedelta(hours=overlap)
    old = list(InstitutionKey.objects.select_for_update().filter(institution=institution, revoked_at__isnull=True))
    for key in old:
        if key.expires_at is None or key.expires_at > until:
            key.expires_at = until
            if overlap == 0:
                key.revoked_at, key.revoked_by = now, actor.username
            key.save(update_fields=["expires_at", "revoked_at", "revoked_by"])
    key, secret = _new_key(institution, actor)
    record_event(actor=actor, action="medical.rotate_key", obj=key,
                 after={"institution": institution.code, "prefix": key.prefix, "old": [k.prefix for k in old],
                        "old_until": until.isoformat()})
    return key, secret


@transaction.atomic
def revoke_key(*, actor: Actor, key_id) -> InstitutionKey:
    """Stop a key at once (a leaked key, a replaced system)."""
    actor.require(MANAGE)
    try:
        key = InstitutionKey.objects.select_for_update().select_related("institution").get(pk=int(key_id))
    except (InstitutionKey.DoesNotExist, TypeError, ValueError):
        raise NotFound(_("No such key.")) from None
    if not actor.covers(key.institution.area_id):
        raise NotFound(_("No such key."))
    if key.revoked_at is None:
        key.revoked_at, key.revoked_by = timezone.now(), actor.username
        key.save(update_fields=["revoked_at", "revoked_by"])
        record_event(actor=actor, action="medical.revoke_key", obj=key,
                     after={"institution": key.institution.code, "prefix": key.prefix})
    return key


def key_is_live(key: InstitutionKey, now: dt.datetime) -> bool:
    return key.revoked_at is None and (key.expires_at is None or key.expires_at > now)


# Every request of a cashier system reads its key and institution: one statement, compiled once per
# connection and prepared on the server (core/statements.py; through the queryset API building it
# cost more CPU than running it, bench/bench_settlement_load.py).
_INSTITUTION_FIELDS = Institution._meta.concrete_fields
_LIVE_KEY = Prepared(lambda key_hash: InstitutionKey.objects.filter(key_hash=key_hash, revoked_at__isnull=True)
                     .values_list("pk", "expires_at", "last_used_at",
                                  *[f"institution__{f.name}" for f in _INSTITUTION_FIELDS])[:1])


def authenticate_key(secret: str) -> Institution | None:
    """The institution whose live key this is, or None."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    row = _LIVE_KEY.first(hash_token(secret))
    if row is None:
        return None
    key = InstitutionKey(pk=row[0], expires_at=row[1], last_used_at=row[2], revoked_at=None)
    institution = Institution.from_db("default", [f.attname for f in _INSTITUTION_FIELDS], row[3:])
    now = timezone.now()
    if not key_is_live(key, now) or not institution.active:
        return None
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_EVERY:
        InstitutionKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return institution


class InstitutionKeyAuth(HttpBearer):
    """`Authorization: Bearer mi_...`: sets `request.institution`."""

    openapi_description = "A designated institution's key (issued by the county on the institution's page)."

    def authenticate(self, request, token):
        institution = authenticate_key(token)
        if institution is None:
            return None
        request.institution = institution
        return institution
