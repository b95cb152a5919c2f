from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "safetynet.oversight"
    label = "oversight"
    verbose_name = _("Transparency and supervision")

    def ready(self):
        # An objection to a public notice, however it was filed (the public board, a town desk),
        # is also a complaint with an owner and a deadline (publicity.signals.objection_filed).
        from safetynet.publicity.signals import objection_filed

        from .complaints import file_objection_complaint

        objection_filed.connect(file_objection_complaint, dispatch_uid="oversight.objection_complaint")
