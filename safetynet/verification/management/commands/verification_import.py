"""`safetynet verification_import FILE --dataset CODE [--taken-on YYYY-MM-DD]`: import a department's
snapshot from a file on the server, as the system (a thin adapter over services.import_snapshot,
the check the data page and the API run).

Prints what was stored, or that the same file was already stored; a rejected file stores nothing,
and every bad row is printed (row, column, reason) and, with --error-sheet, written to an .xlsx;
the command then exits 1 so a script can stop.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from safetynet.core.dates import parse_date
from safetynet.core.errors import SafetyNetError, ValidationError


def _date(text: str) -> dt.date:
    try:
        return parse_date(text, field="taken_on", required=True)
    except ValidationError:
        raise CommandError(_("Give the date the data was taken as YYYY-MM-DD."))


class Command(BaseCommand):
    help = "Import a department's data snapshot (CSV, Excel .xlsx or Parquet) and report every bad row."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv, .xlsx or .parquet file")
        parser.add_argument("--dataset", required=True, help="dataset code, e.g. deposits, vehicles, hrss_wages")
        parser.add_argument("--taken-on", default=None, help="the day the department extracted the data (default today)")
        parser.add_argument("--error-sheet", metavar="PATH", help="also write the bad rows to this .xlsx")

    def handle(self, *args, file, dataset, taken_on, error_sheet=None, **options):
        from safetynet.areas.actors import system_actor
        from safetynet.core.tabular import write_error_sheet
        from safetynet.verification.errors import SnapshotRejected
        from safetynet.verification.schemas import get_dataset
        from safetynet.verification.services import import_snapshot

        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        try:
            result = import_snapshot(actor=system_actor(), dataset_code=dataset, source=path, filename=path.name,
                                     taken_on=_date(taken_on) if taken_on else None)
        except SnapshotRejected as error:
            for bad in error.bad_rows:
                self.stderr.write(_("row %(row)d: %(field)s: %(message)s")
                                  % {"row": bad.row, "field": bad.column, "message": bad.reason})
            if error_sheet:
                Path(error_sheet).write_bytes(write_error_sheet(get_dataset(dataset).column_names,
                                                                [b.as_row_error() for b in error.bad_rows]))
            raise CommandError(error.message, returncode=1)
        except SafetyNetError as error:
            raise CommandError(error.message)
        snapshot = result.snapshot
        if result.created:
            self.stdout.write(self.style.SUCCESS(
                _("Stored snapshot #%(id)s: %(rows)s rows of %(dataset)s taken on %(day)s (%(status)s).")
                % {"id": snapshot.pk, "rows": f"{snapshot.row_count:,}", "dataset": snapshot.dataset,
                   "day": snapshot.taken_on.isoformat(), "status": snapshot.get_status_display()}))
        else:
            self.stdout.write(_("This file was already stored on %(day)s (snapshot #%(id)s): nothing new was kept.")
                              % {"day": snapshot.uploaded_at.date().isoformat(), "id": snapshot.pk})
