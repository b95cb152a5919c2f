"""`safetynet areas_import FILE_OR_FOLDER ...`: load official division-code lists as the system actor.

Takes the statistics bureau's package as it ships (its folder, or its five files in any order)
or SafetyNet's own layout. Prints the counts and every bad row (file, row, column, reason); exits 1
when any row was bad (or a file unreadable), so a script can stop. The good rows are imported
either way, as on the import page.
"""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from safetynet.areas.actors import system_actor
from safetynet.areas.services import division_files, import_divisions
from safetynet.core.errors import SafetyNetError
from safetynet.core.tabular import write_error_sheet


class Command(BaseCommand):
    help = ("Import official division-code lists (CSV or .xlsx): files or a folder, such as the statistics "
            "bureau's package (provinces, cities, areas, streets, villages), or code, name, urban-rural class.")

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="+", help="the .csv or .xlsx lists, or a folder holding them")
        parser.add_argument("--error-sheet", metavar="PATH", help="also write the bad rows to this .xlsx")
        parser.add_argument("--progress", action="store_true", help="print the rows done as they are read")

    def handle(self, *args, file, error_sheet=None, progress=False, **options):
        paths = []
        for name in file:
            path = Path(name)
            if path.is_dir():
                found = division_files(path)
                if not found:
                    raise CommandError(_("No .csv or .xlsx list in the folder %(path)s") % {"path": name})
                paths += found
            elif path.is_file():
                paths.append(path)
            else:
                raise CommandError(_("No such file: %(path)s") % {"path": name})
        report = (lambda done, total: self.stderr.write(_("%(done)d of %(total)d rows") % {"done": done, "total": total})) if progress else None
        try:
            result = import_divisions(actor=system_actor(), sources=[(p.name, p) for p in paths], progress=report)
        except SafetyNetError as exc:
            raise CommandError(exc.message)
        self.stdout.write(
            _("added %(added)d, renamed %(renamed)d, class changed %(reclassified)d, unchanged %(unchanged)d, bad rows %(errors)d")
            % result.counts()
        )
        if result.without_class:
            self.stdout.write(_("%(n)d villages have no urban-rural class yet: no standard applies to them until it is set.")
                              % {"n": result.without_class})
        for error in result.errors:
            self.stderr.write(_("%(file)s, row %(row)d: %(field)s: %(message)s") % error.as_dict())
        if result.errors:
            if error_sheet:
                Path(error_sheet).write_bytes(write_error_sheet(result.columns, result.errors))
            raise CommandError(_("%(n)d bad rows were left out.") % {"n": len(result.errors)}, returncode=1)
