"""makemessages that also knows the project's gettext aliases (N_ = gettext_noop in the rule
modules, _l = gettext_lazy, _t = gettext), so those strings reach the catalogues."""
from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = makemessages.Command.xgettext_options + ["--keyword=N_", "--keyword=_l", "--keyword=_t"]
