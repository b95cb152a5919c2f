import sys

from django.core.management.base import BaseCommand

from safetynet.core.audit import iter_breaks
from safetynet.core.models import AuditEvent


class Command(BaseCommand):
    help = "Audit ledger tools: `safetynet audit verify` re-computes the hash chain and names the first broken link."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        verify = sub.add_parser("verify", help="re-compute the chain")
        verify.add_argument("--all", action="store_true", help="list every broken link, not only the first")

    def handle(self, *args, verb, **options):
        total = AuditEvent.objects.count()
        breaks = []
        for n, brk in enumerate(iter_breaks()):
            breaks.append(brk)
            if not options["all"]:
                break
        if not breaks:
            self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {total} events verified."))
            return
        first = breaks[0]
        self.stdout.write(self.style.ERROR(f"Audit chain BROKEN at event #{first.sequence}: {first.reason}"))
        for brk in breaks[1:]:
            self.stdout.write(f"  also #{brk.sequence}: {brk.reason}")
        sys.exit(1)
