"""`safetynet programs_demo_standards [--county 130123]`: set the demo dibao standards
(urban ¥900.00, rural ¥720.00) for the demo county unless it has its own."""
from django.conf import settings
from django.core.management.base import BaseCommand

from safetynet.areas.actors import system_actor
from safetynet.programs.demo import seed_demo_standards


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--county", default=settings.DEMO_COUNTY_CODE)

    def handle(self, *args, county, **options):
        done = seed_demo_standards(actor=system_actor(), county_code=county)
        self.stdout.write(f"{done} demo standard(s) set for {county}")
