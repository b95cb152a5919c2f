from django.apps import AppConfig
from django.db.models import signals
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "safetynet.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self):
        from safetynet.areas.models import Area
        from safetynet.programs.models import Parameter

        from . import checks, refcache  # noqa: F401  (checks registers the private-files check)

        watched = {Area: refcache.AREAS, Parameter: refcache.PARAMETERS}

        def changed(sender, **kwargs):
            refcache.bump(watched[sender])

        for model in watched:
            signals.post_save.connect(changed, sender=model, dispatch_uid=f"refcache-{model._meta.label}-save")
            signals.post_delete.connect(changed, sender=model, dispatch_uid=f"refcache-{model._meta.label}-delete")
