"""Designated institutions (issue 20 part 2; POLICY.md §4): the hospitals and clinics where a
person's bill is settled at once, registered and kept by the county.

An institution is known by its medical insurance designated-institution code (H or P and eleven
digits, as the medical insurance bureau gives it; read after NFKC and upper case), registered
once. It belongs to the county or one of its towns, has a contract period (outside it the
cashier's bills are refused by the settlement), and the bank account its monthly statements are
paid to. Its API keys are issued, rotated and revoked by `keys.py`; this module only reads them
for the pages. Reads reach the institutions under the post's area and those of the area above
it (a town post sees the county hospital where its people are treated); writes need the
institution's area inside the post's.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from safetynet.areas.models import Area, Level
from safetynet.core.audit import record_event
from safetynet.core.dates import parse_date
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.text import clean_field, normalise_text

from .keys import MANAGE, key_is_live
from .models import Institution, InstitutionKey, InstitutionKind

VIEW = "medical.view"
_CODE = re.compile(r"^[HP][0-9]{11}$")
_ACCOUNT = re.compile(r"^[0-9]{12,30}$")


def _covering(area_code: str) -> list[str]:
    return [area_code[:n] for n in (2, 4, 6, 9, 12, 15, 18) if len(area_code) >= n]


def institutions_in_scope(actor: Actor, *, q: str = "", active: bool | None = None, kind: str = "") -> QuerySet[Institution]:
    """The institutions under the post's area or at an area above it, by code."""
    actor.require(VIEW)
    qs = Institution.objects.select_related("area")
    if not actor.is_national:
        qs = qs.filter(Q(area__code__startswith=actor.area_code) | Q(area_id__in=_covering(actor.area_code)))
    q = normalise_text(q)[:50]
    if q:
        qs = qs.filter(Q(code__icontains=q.upper()) | Q(name__icontains=q))
    if active is not None:
        qs = qs.filter(active=active)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("code")


def get_institution(actor: Actor, institution_id) -> Institution:
    try:
        pk = int(institution_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such institution.")) from None
    row = institutions_in_scope(actor).filter(pk=pk).first()
    if row is None:
        raise NotFound(_("No such institution."))
    return row


def may_manage(actor: Actor, institution: Institution | None = None) -> bool:
    return actor.can(MANAGE) and (institution is None or actor.covers(institution.area_id))


def keys_of(institution: Institution) -> list[InstitutionKey]:
    return list(institution.keys.all().order_by("-created_at", "-id"))


def key_state(key: InstitutionKey, now: dt.datetime) -> str:
    """live, expiring (rotated: works until its end), expired or revoked."""
    if key.revoked_at is not None:
        return "revoked"
    if not key_is_live(key, now):
        return "expired"
    return "expiring" if key.expires_at is not None else "live"


def normalise_code(value) -> str:
    return "".join(unicodedata.normalize("NFKC", "" if value is None else str(value)).split()).upper()


def _area(actor: Actor, area_code) -> Area:
    code = normalise_text(area_code)
    if not re.fullmatch(r"[0-9]{6}|[0-9]{9}", code):
        raise ValidationError(_("An institution belongs to the county or one of its towns."), field="area")
    actor.require_area(code)
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": code}, field="area")
    if area.level not in (Level.COUNTY, Level.TOWN):
        raise ValidationError(_("An institution belongs to the county or one of its towns."), field="area")
    return area


def _checked(actor: Actor, *, code, name, kind, area_code, contract_from, contract_until, bank_name, bank_account,
             account_name, active) -> dict:
    code = normalise_code(code)
    if not _CODE.fullmatch(code):
        raise ValidationError(_("The designated institution code is H or P followed by 11 digits, as the medical "
                                "insurance bureau gives it (e.g. H13012300001)."), field="code")
    name = clean_field(name, "name", max_length=200, required=True)
    kind = normalise_text(kind)
    if kind not in InstitutionKind.values:
        raise ValidationError(_("Choose the kind of institution."), field="kind")
    area = _area(actor, area_code)
    start = parse_date(contract_from, field="contract_from", required=True)
    end = parse_date(contract_until, field="contract_until", required=True)
    if end < start:
        raise ValidationError(_("The contract ends before it begins."), field="contract_until")
    bank_name = clean_field(bank_name, "bank_name", max_length=100, required=True)
    account = "".join(normalise_text(bank_account).split())
    if not _ACCOUNT.fullmatch(account):
        raise ValidationError(_("A bank account number is 12 to 30 digits."), field="bank_account")
    account_name = clean_field(account_name, "account_name", max_length=200, required=True)
    if not isinstance(active, bool):
        active = normalise_text(active).lower() in ("1", "true", "yes", "on")
    return {"code": code, "name": name, "kind": kind, "area": area, "contract_from": start, "contract_until": end,
            "bank_name": bank_name, "bank_account": account, "account_name": account_name, "active": active}


def _snapshot(row: Institution) -> dict:
    return {"code": row.code, "name": row.name, "kind": row.kind, "area": row.area_id,
            "contract_from": row.contract_from.isoformat(), "contract_until": row.contract_until.isoformat(),
            "bank_name": row.bank_name, "bank_account": row.bank_account, "account_name": row.account_name,
            "active": row.active}


def _code_taken(code: str, *, other_than: int | None = None) -> None:
    existing = Institution.objects.filter(code=code).exclude(pk=other_than).first()
    if existing is not None:
        raise Conflict(_("%(code)s is already registered (%(name)s).") % {"code": code, "name": existing.name},
                       field="code", code="institution_code_taken")


@transaction.atomic(durable=True)
def register_institution(*, actor: Actor, code, name, kind, area_code, contract_from, contract_until, bank_name,
                         bank_account, account_name, active=True) -> Institution:
    """A designated institution of the county (or one of its towns), registered once by its code."""
    actor.require(MANAGE)
    values = _checked(actor, code=code, name=name, kind=kind, area_code=area_code, contract_from=contract_from,
                      contract_until=contract_until, bank_name=bank_name, bank_account=bank_account,
                      account_name=account_name, active=active)
    _code_taken(values["code"])
    row = Institution.objects.create(**values)
    record_event(actor=actor, action="medical.register_institution", obj=row, after=_snapshot(row))
    return row


@transaction.atomic(durable=True)
def update_institution(*, actor: Actor, institution_id, code, name, kind, area_code, contract_from, contract_until,
                       bank_name, bank_account, account_name, active) -> Institution:
    """Change what is known of an institution (a renewed contract, a new account, stopped)."""
    actor.require(MANAGE)
    try:
        pk = int(institution_id)
    except (TypeError, ValueError):
        raise NotFound(_("No such institution.")) from None
    row = Institution.objects.select_for_update().filter(pk=pk).first()
    if row is None or not actor.covers(row.area_id):
        raise NotFound(_("No such institution."))
    values = _checked(actor, code=code, name=name, kind=kind, area_code=area_code, contract_from=contract_from,
                      contract_until=contract_until, bank_name=bank_name, bank_account=bank_account,
                      account_name=account_name, active=active)
    _code_taken(values["code"], other_than=row.pk)
    before = _snapshot(row)
    for key, value in values.items():
        setattr(row, key, value)
    row.save()
    after = _snapshot(row)
    if after != before:
        record_event(actor=actor, action="medical.update_institution", obj=row, before=before, after=after)
    return row


def areas_for_institutions(actor: Actor) -> list[tuple[str, str]]:
    """(code, name) of the county and its towns a post may register an institution at."""
    county = actor.area_code[:6]
    if len(actor.area_code) < 6:
        return []
    rows = Area.objects.filter(code__startswith=actor.area_code, level__in=(Level.COUNTY, Level.TOWN)).order_by("code")
    if len(actor.area_code) == 9:
        rows = rows.filter(code=actor.area_code)
    return [(code, name) for code, name in rows.values_list("code", "name") if code.startswith(county)]
