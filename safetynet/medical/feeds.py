"""What medical assistance tells discovery's warnings (issue 20 part 5): the self-paid amounts of
the settled bills, so a household over the illness threshold becomes a lead.

Discovery is below medical in the import order, so it does not read settlements itself: the
project names `self_paid_rows` in `settings.MEDICAL_COSTS_FEEDS`, and the warning run's medical
rule (`discovery/warning_run.py`) totals it per household beside the medical insurance
department's `medical_costs` rows, taking the larger of the two totals (the same bills, never
added).
"""
from __future__ import annotations

import datetime as dt

import pyarrow as pa
from django.utils.translation import gettext_lazy as _

from safetynet.discovery.warning_run import MEDICAL_FEED_SCHEMA

from .models import Settlement, SettlementStatus


def self_paid_rows(county_code: str, start: dt.date, end: dt.date) -> pa.Table:
    """(id_number, period_end, self_paid) of every live settlement (reversed ones left out) of the
    county's persons discharged from `start` to `end`: self_paid is what the patient still paid
    after the assistance (eligible + ineligible self-paid − assistance, the settlement's
    `patient_pays`), period_end the day of discharge."""
    rows = (Settlement.objects.filter(person__area__code__startswith=county_code, status=SettlementStatus.SETTLED,
                                      discharged_on__gte=start, discharged_on__lte=end)
            .order_by("pk").values_list("person__id_number", "discharged_on", "patient_pays"))
    # Through the ORM, not a raw cursor: the amounts arrive as Decimal on SQLite too.
    columns = list(zip(*rows.iterator(chunk_size=5000))) or [(), (), ()]
    return pa.table([pa.array(values, type) for values, type in zip(columns, MEDICAL_FEED_SCHEMA.types)],
                    schema=MEDICAL_FEED_SCHEMA)


# The warning's lead names where its total came from.
self_paid_rows.feed_label = _("settlements of medical assistance")
