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

        # A manual reimbursement is a case whose decision needs the formula, which cases may not
        # import: medical fills the seams cases offers (docs/architecture.md), its two steps in the
        # step table the case page and the API read, and its card on the case page.
        from safetynet.cases.pages import CaseCard, register_case_card

        from .reimbursement_steps import register_steps
        from .reimbursement_views import case_card

        register_steps()
        register_case_card("medical", CaseCard("medical/_reimbursement_card.html", case_card))
