"""The form that files a manual medical reimbursement (shape only: the bill is read by the
service as the cashier's bill is, and its errors are put back next to the field they name)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.cases.models import Channel
from safetynet.registry.forms import BootstrapMixin

from .models import NotSettledBecause

DATE = {"type": "date"}
MONEY = {"inputmode": "decimal", "autocomplete": "off", "class": "form-control text-end"}


class ReimbursementForm(BootstrapMixin, forms.Form):
    person = forms.TypedChoiceField(label=_("Patient"), coerce=int)
    applicant = forms.TypedChoiceField(label=_("Applicant"), coerce=int, required=False, empty_value=None)
    treated_at = forms.CharField(label=_("Where treated (hospital)"), max_length=200,
                                 widget=forms.TextInput(attrs={"placeholder": _("e.g. 北京协和医院")}))
    not_settled_because = forms.ChoiceField(label=_("Why not settled at the cashier"), choices=NotSettledBecause.choices)
    admitted_on = forms.CharField(label=_("Admitted on"), max_length=10, widget=forms.TextInput(attrs=DATE))
    discharged_on = forms.CharField(label=_("Discharged on"), max_length=10, widget=forms.TextInput(attrs=DATE))
    total_cost = forms.CharField(label=_("Total cost (yuan)"), max_length=20, widget=forms.TextInput(attrs=MONEY))
    basic_insurance_paid = forms.CharField(label=_("Paid by basic medical insurance"), max_length=20,
                                           widget=forms.TextInput(attrs=MONEY))
    critical_illness_paid = forms.CharField(label=_("Paid by critical-illness insurance"), max_length=20,
                                            widget=forms.TextInput(attrs=MONEY))
    eligible_self_paid = forms.CharField(label=_("Eligible self-paid (within the insurance catalogue)"), max_length=20,
                                         widget=forms.TextInput(attrs=MONEY))
    ineligible_self_paid = forms.CharField(label=_("Ineligible self-paid (outside the catalogue)"), max_length=20,
                                           widget=forms.TextInput(attrs=MONEY))
    channel = forms.ChoiceField(label=_("How the application came in"), choices=Channel.choices, initial=Channel.WALK_IN)
    entrusted_by = forms.CharField(label=_("Entrusted by (village committee or person)"), required=False, max_length=100)
    reason = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = list(members)
        self.fields["applicant"].choices = [("", _("— the patient —")), *members]

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        person, applicant = data.pop("person"), data.pop("applicant")
        return {**data, "person_id": person, "applicant_id": applicant}
