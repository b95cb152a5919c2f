"""The forms of a lead's actions on its page (each a thin shape over a service's arguments)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.registry.forms import BootstrapMixin

from .models import CloseReason


class VisitForm(BootstrapMixin, forms.Form):
    in_need = forms.TypedChoiceField(label=_("In need?"), choices=[("yes", _("yes, in need")), ("no", _("no, not in need"))],
                                     coerce=lambda v: v == "yes")
    note = forms.CharField(label=_("What the visit found"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(BootstrapMixin, forms.Form):
    reason = forms.ChoiceField(label=_("Why it is closed"), choices=CloseReason.choices)
    note = forms.CharField(label=_("Note"), max_length=500, required=False)


class MergeForm(BootstrapMixin, forms.Form):
    into = forms.TypedChoiceField(label=_("Merge into"), coerce=int, choices=[])

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].choices = list(choices)


class LinkForm(BootstrapMixin, forms.Form):
    household = forms.IntegerField(label=_("Registered household (number)"), min_value=1, max_value=2_147_483_647)


class ApplyForm(BootstrapMixin, forms.Form):
    program = forms.ChoiceField(label=_("Program"), choices=[])
    applicant = forms.TypedChoiceField(label=_("Applicant"), coerce=int, choices=[])
    reason = forms.CharField(label=_("Reason for applying"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, programs=(), members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program"].choices = list(programs)
        self.fields["applicant"].choices = list(members)
