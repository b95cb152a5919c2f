from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PayrollConfig(AppConfig):
    name = "safetynet.payroll"
    label = "payroll"
    verbose_name = _("Payroll")
