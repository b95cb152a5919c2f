"""The warning levels (red, orange, yellow), shared by leads and warning rules: each level has
its own time limit for the check (`clocks.LEVEL_KEYS`). Their own module, as both model modules
use them and `models.py` imports `warning_models.py`."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class WarningLevel(models.TextChoices):
    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
