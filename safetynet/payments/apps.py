from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    """Only the migration history of the tables that enrollments and payroll took over (see
    safetynet/payments/__init__.py)."""
    name = "safetynet.payments"
    label = "payments"
    verbose_name = _("Enrollments and payments")
