"""Providers and their workers (issue 19 part 4): the county registers a social organisation it
buys work from, and links the staff identities of its workers to it.

A provider is identified by its unified social credit code (GB 32100-2015, checked with
python-stdnum's `stdnum.cn.uscc`: 18 characters and the check character), registered once. Its
workers are staff identities (`workforce.StaffIdentity`, registered through workforce's own
service) linked by `ProviderWorker`: one provider at a time, and the link ends when they leave.
"""
from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _
from stdnum.cn import uscc as uscc_number
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError as NumberError

from safetynet.areas.models import Area, Level
from safetynet.cases import clocks
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor
from safetynet.core.text import clean_field
from safetynet.discovery.referral_services import check_phone
from safetynet.workforce.models import StaffIdentity

from .models import OPEN_TASK_STATUSES, Provider, ProviderWorker, ServiceTask
from .selectors import get_near, providers_for

MANAGE = "services.manage"


def check_uscc(value, field: str = "uscc") -> str:
    """A unified social credit code as registered (upper case, no spaces), or a refusal saying
    what is wrong with it."""
    code = clean_field(value, field, max_length=40, required=True).replace(" ", "").replace("-", "").upper()
    try:
        return uscc_number.validate(code)
    except InvalidLength:
        raise ValidationError(_("A unified social credit code has 18 characters (this one has %(n)s).") % {
            "n": len(code)}, field=field, code="uscc_length")
    except InvalidChecksum:
        raise ValidationError(_("%(code)s: the last character does not match: check the code as printed on the "
                                "registration certificate.") % {"code": code}, field=field, code="uscc_checksum")
    except (InvalidFormat, InvalidComponent, NumberError):
        raise ValidationError(_("%(code)s is not a unified social credit code: digits and capital letters (no I, O, "
                                "S, V or Z).") % {"code": code}, field=field, code="uscc_format")


def _snapshot(provider: Provider) -> dict:
    return {"name": provider.name, "uscc": provider.uscc, "registration_authority": provider.registration_authority,
            "contact_person": provider.contact_person, "area": provider.area_id, "is_active": provider.is_active}


def _county(actor: Actor, county_code: str) -> Area:
    county_code = (county_code or "").strip()
    actor.require_area(county_code)
    area = Area.objects.filter(code=county_code).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": county_code}, field="county")
    if area.level != Level.COUNTY:
        raise ValidationError(_("A provider is registered with a county: %(area)s is not one.") % {"area": area.name},
                              field="county")
    return area


@transaction.atomic(durable=True)
def register_provider(*, actor: Actor, county_code: str, name: str, uscc: str, registration_authority: str,
                      contact_person: str, phone: str, address: str = "") -> Provider:
    """A social organisation the county buys work from, registered once by its credit code."""
    actor.require(MANAGE)
    county = _county(actor, county_code)
    name = clean_field(name, "name", max_length=100, required=True)
    code = check_uscc(uscc)
    authority = clean_field(registration_authority, "registration_authority", max_length=100, required=True)
    contact = clean_field(contact_person, "contact_person", max_length=50, required=True)
    phone = check_phone(phone)
    if not phone:
        raise ValidationError(_("A phone number is required."), field="phone")
    address = clean_field(address, "address", max_length=200)
    existing = Provider.objects.filter(uscc=code).first()
    if existing is not None:
        raise Conflict(_("%(code)s is already registered (%(name)s).") % {"code": code, "name": existing.name},
                       field="uscc", code="uscc_taken")
    provider = Provider.objects.create(name=name, uscc=code, registration_authority=authority, contact_person=contact,
                                       phone=phone, address=address, area=county, registered_on=clocks.today(),
                                       registered_by_id=actor.user_id)
    record_event(actor=actor, action="services.register_provider", obj=provider, after=_snapshot(provider))
    return provider


def _provider_for_update(actor: Actor, provider_id: int) -> Provider:
    actor.require(MANAGE)
    provider = get_near(providers_for(actor).select_for_update(of=("self",)), pk=provider_id)
    actor.require_area(provider.area_id)      # a town post reads its county's providers; it does not change them
    return provider


@transaction.atomic(durable=True)
def set_provider_active(*, actor: Actor, provider_id: int, active: bool) -> Provider:
    """A provider stops (or resumes) taking work; its contracts and tasks stay as they are."""
    provider = _provider_for_update(actor, provider_id)
    if provider.is_active == bool(active):
        return provider
    before = _snapshot(provider)
    provider.is_active = bool(active)
    provider.save(update_fields=["is_active"])
    record_event(actor=actor, action="services.set_provider_active", obj=provider, before=before, after=_snapshot(provider))
    return provider


@transaction.atomic(durable=True)
def register_provider_worker(*, actor: Actor, provider_id: int, staff_identity_id: int) -> ProviderWorker:
    """Link a registered staff identity (of the provider's county) to the provider as its worker."""
    provider = _provider_for_update(actor, provider_id)
    if not provider.is_active:
        raise ValidationError(_("%(name)s is not active: it takes no workers.") % {"name": provider.name},
                              field="provider", code="provider_inactive")
    identity = StaffIdentity.objects.filter(pk=staff_identity_id, area__code__startswith=provider.area_id).first() \
        if str(staff_identity_id).isdigit() else None
    if identity is None:
        raise NotFound(_("No such staff member in the provider's county."), field="staff_identity")
    if not identity.is_active:
        raise ValidationError(_("%(name)s is no longer active staff.") % {"name": identity.name}, field="staff_identity",
                              code="identity_inactive")
    current = ProviderWorker.objects.filter(staff_identity=identity, is_active=True).select_related("provider").first()
    if current is not None:
        raise Conflict(_("%(name)s already works for %(provider)s.") % {"name": identity.name,
                                                                          "provider": current.provider.name},
                       field="staff_identity", code="already_a_worker")
    worker = ProviderWorker.objects.create(provider=provider, staff_identity=identity, area_id=provider.area_id,
                                           joined_on=clocks.today())
    record_event(actor=actor, action="services.register_provider_worker", obj=worker,
                 after={"provider": provider.pk, "staff_identity": identity.pk, "name": identity.name})
    return worker


@transaction.atomic(durable=True)
def end_provider_worker(*, actor: Actor, worker_id: int, on: dt.date | None = None) -> ProviderWorker:
    """The worker leaves the provider. Refused while tasks are still open with them: the county
    accepts or rejects them (or takes them back) first, so no work is left with nobody."""
    actor.require(MANAGE)
    worker = ProviderWorker.objects.select_for_update().filter(
        pk=worker_id, provider__in=providers_for(actor).values("pk")).select_related("staff_identity").first()
    if worker is None:
        raise NotFound(_("Not found."))
    actor.require_area(worker.area_id)
    if not worker.is_active:
        return worker
    open_tasks = ServiceTask.objects.filter(worker=worker, status__in=OPEN_TASK_STATUSES).count()
    if open_tasks:
        raise Conflict(_("%(name)s still has %(n)s open tasks: accept, reject or take them back first.") % {
            "name": worker.staff_identity.name, "n": open_tasks}, code="open_tasks")
    worker.is_active = False
    worker.left_on = on or clocks.today()
    worker.save(update_fields=["is_active", "left_on"])
    record_event(actor=actor, action="services.end_provider_worker", obj=worker,
                 after={"provider": worker.provider_id, "staff_identity": worker.staff_identity_id, "left_on": worker.left_on})
    return worker
