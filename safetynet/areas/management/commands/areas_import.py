"""`safetynet areas_import FILE`: load an official division-code list as the system actor.

Prints the counts and every bad row; exits 1 when any row was bad (or the file unreadable), so
a script can stop. The good rows are imported either way, as on the import page.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from safetynet.areas.actors import system_actor
from safetynet.areas.services import import_divisions
from safetynet.core.errors import SafetyNetError
from safetynet.core.tabular import write_error_sheet


class Command(BaseCommand):
    help = "Import an official division-code list (CSV or .xlsx: code, name, urban-rural class)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .csv or .xlsx list")
        parser.add_argument("--error-sheet", metavar="PATH", help="also write the bad rows to this .xlsx")

    def handle(self, *args, file, error_sheet=None, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        try:
            with path.open("rb") as source:
                result = import_divisions(actor=system_actor(), source=source, filename=path.name)
        except SafetyNetError as exc:
            raise CommandError(exc.message)
        self.stdout.write(
            _("added %(added)d, renamed %(renamed)d, class changed %(reclassified)d, unchanged %(unchanged)d, bad rows %(errors)d")
            % result.counts()
        )
        for error in result.errors:
            self.stderr.write(_("row %(row)d: %(field)s: %(message)s") % error.as_dict())
        if result.errors:
            if error_sheet:
                Path(error_sheet).write_bytes(write_error_sheet(result.columns, result.errors))
            raise CommandError(_("%(n)d bad rows were left out.") % {"n": len(result.errors)}, returncode=1)
