"""Demo figures for the dibao standards of the demo county (正定县 130123): urban ¥900.00, rural
¥720.00 per person per month. They are illustrative, not the county's published standards;
the demo and the tests set them so every rule has a standard to work with."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from safetynet.core.scoping import Actor

from . import catalogue
from .models import Parameter

DEMO_STANDARDS = {"urban_standard": Decimal("900.00"), "rural_standard": Decimal("720.00")}
DEMO_REASON = "演示数据（并非本县公布的标准）"   # recorded as a county office would write it


def seed_demo_standards(*, actor: Actor, county_code: str, effective_from: dt.date | None = None) -> int:
    """Set the demo standards for `county_code` from 2021-07-01 unless the county already has
    its own; returns how many were set. Goes through services.set_parameter (audited), so the
    actor must be a superuser (or the system) to start in the past."""
    from .services import seed_catalogue, set_parameter

    seed_catalogue()
    start = effective_from or dt.date.fromisoformat(catalogue.DEFAULTS_EFFECTIVE_FROM)
    done = 0
    for key, value in DEMO_STANDARDS.items():
        if Parameter.objects.filter(program_id=catalogue.DIBAO, key=key, area_id=county_code, replaced_at__isnull=True).exists():
            continue
        set_parameter(actor=actor, program_code=catalogue.DIBAO, key=key, area_code=county_code, value=value,
                      effective_from=start, reason=DEMO_REASON)
        done += 1
    return done
