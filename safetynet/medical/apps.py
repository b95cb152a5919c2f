from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MedicalConfig(AppConfig):
    name = "safetynet.medical"
    label = "medical"
    verbose_name = _("Medical assistance")

    def ready(self):
        from safetynet.core import refcache

        from .models import CategoryTerms, MedicalCategory
        from .terms import MEDICAL

        refcache.watch(MedicalCategory, MEDICAL)
        refcache.watch(CategoryTerms, MEDICAL)
