from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "safetynet.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        # Imported for what importing does: checks registers the private-files check.
        from . import checks  # noqa: F401
