from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "safetynet.programs"
    label = "programs"
    verbose_name = _("Programs and standards")

    def ready(self):
        # Models can be imported only once the apps are loaded, so here rather than at the top.
        from safetynet.core import refcache

        from .models import Parameter

        refcache.watch(Parameter, refcache.PARAMETERS)   # the in-process caches of parameters (core/refcache.py)
