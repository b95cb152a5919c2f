"""`safetynet registry_import FILE --area CODE`: load a household roster as the system actor.

Prints the counts and every bad row; exits 1 when any row was bad (or the file unreadable), so a
script can stop. The good rows are imported either way, as on the import page; importing the same
file again adds nothing.
"""
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from safetynet.areas.actors import system_actor
from safetynet.core.errors import SafetyNetError
from safetynet.core.tabular import write_error_sheet
from safetynet.registry.roster import import_roster


class Command(BaseCommand):
    help = "Import a household roster (CSV or .xlsx, one row per person) into an area."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv or .xlsx roster")
        parser.add_argument("--area", required=True, metavar="CODE", help="import into this area (county, town or village code)")
        parser.add_argument("--error-sheet", metavar="PATH", help="also write the bad rows to this .xlsx")

    def handle(self, *args, file, area, error_sheet=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        started = time.monotonic()
        try:
            with path.open("rb") as source:
                result = import_roster(actor=system_actor(), source=source, filename=path.name, area_code=area)
        except SafetyNetError as exc:
            raise CommandError(exc.message)
        self.stdout.write(
            _("rows %(rows)d: new households %(households_created)d, new people %(persons_created)d, "
              "already registered %(unchanged)d, bad rows %(errors)d") % result.counts()
            + f" ({time.monotonic() - started:.1f} s)")
        for error in result.errors:
            self.stderr.write(_("row %(row)d: %(field)s: %(message)s") % error.as_dict())
        if result.errors:
            if error_sheet:
                Path(error_sheet).write_bytes(write_error_sheet(result.columns, result.errors))
            raise CommandError(_("%(n)d bad rows were left out.") % {"n": len(result.errors)}, returncode=1)
