"""What the demo generator remembers about what it made."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DemoNote(models.Model):
    """A keyed note left by `safetynet demo`.

    The generator registers some staff as residents (with relatives among the households) so
    that close-relative detection (POLICY.md §1 step 2) has something to find. Until the
    workforce app owns a staff identity, the link between a login and that person's ID number
    is kept here under the key "staff" ({username: {"id_number", "person_id", "name"}}); the
    parameters of the last run are kept under "generation".
    """

    key = models.CharField(max_length=64, unique=True, verbose_name=_("key"))
    value = models.JSONField(default=dict, verbose_name=_("value"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("demo note")
        verbose_name_plural = _("demo notes")

    def __str__(self):
        return self.key
