from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AreasConfig(AppConfig):
    name = "safetynet.areas"
    label = "areas"
    verbose_name = _("Areas and posts")

    def ready(self):
        # Models can be imported only once the apps are loaded, so here rather than at the top.
        from safetynet.core import refcache

        from .models import Area

        refcache.watch(Area, refcache.AREAS)   # the in-process caches of areas (core/refcache.py)
