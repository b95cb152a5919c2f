"""The roll of a deliberation meeting: who took part, by name (issue 19 part 3).

A `Deliberation` records how many took part (`participants`, the count the two-thirds rule reads);
its roll names them, so that each participant's meeting subsidy is paid from the meeting itself
(funding/subsidies.py) and to the right account. The roll never names more people than the count,
and names a person once per meeting (a database constraint, not only a check)."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliberationParticipant(models.Model):
    deliberation = models.ForeignKey("cases.Deliberation", on_delete=models.CASCADE, related_name="roll",
                                     verbose_name=_("deliberation"))
    name = models.CharField(max_length=50, verbose_name=_("name"))
    id_number = models.CharField(max_length=18, verbose_name=_("ID number"))
    # Where the meeting subsidy is paid when the person has no staff identity with an account.
    bank_account = models.CharField(max_length=32, blank=True, verbose_name=_("bank account"))
    is_village_representative = models.BooleanField(default=False, verbose_name=_("village representative"))
    recorded_by = models.CharField(max_length=150)
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["deliberation_id", "id"]
        verbose_name = _("deliberation participant")
        verbose_name_plural = _("deliberation participants")
        constraints = [
            models.UniqueConstraint(fields=["deliberation", "id_number"], name="deliberation_participant_once"),
        ]

    def __str__(self):
        return self.name
