from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentsConfig(AppConfig):
    name = "safetynet.enrollments"
    label = "enrollments"
    verbose_name = _("enrollments")
