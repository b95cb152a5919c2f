"""Forms of the standards pages and the public self-check. They only shape input; the checks
that matter (types, ranges, periods, scope) are in services.set_parameter and
selfcheck.check_dibao_eligibility, whose errors the views put back next to the field."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.areas.forms import AreaField, bind_area_fields
from safetynet.areas.models import Level
from safetynet.core.dates import parse_month
from safetynet.core.errors import ValidationError

from . import catalogue
from .selfcheck import DISABILITY_TYPES

TEXT = {"class": "form-control"}
SELECT = {"class": "form-select"}


def _month_text(value: dt.date) -> str:
    return value.strftime("%Y-%m")


class SetParameterForm(forms.Form):
    key = forms.ChoiceField(label=_("Parameter"), widget=forms.Select(attrs=SELECT))
    value = forms.CharField(label=_("New value"), max_length=64, widget=forms.TextInput(attrs=TEXT),
                            help_text=_("Amounts in yuan (780.00), ratios as decimals (0.30 = 30 %), yes/no for switches."))
    effective_from = forms.CharField(label=_("From month"), max_length=7,
                                     widget=forms.TextInput(attrs={**TEXT, "type": "month", "placeholder": "YYYY-MM"}),
                                     help_text=_("The value applies from the first day of this month; earlier months keep theirs."))
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.TextInput(attrs=TEXT),
                             help_text=_("E.g. the number of the county's notice."))

    def __init__(self, *args, program: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(s.key, str(s.label)) for s in catalogue.specs_for(program)]

    def clean_effective_from(self) -> dt.date:
        try:
            return parse_month(self.cleaned_data["effective_from"], field="effective_from", required=True)
        except ValidationError:
            raise forms.ValidationError(_("Give the month as YYYY-MM, e.g. 2026-12."))


class AreaPickForm(forms.Form):
    """County (only when the site serves several), town and village of the household."""

    county = forms.ChoiceField(label=_("County / district"), required=False, widget=forms.Select(attrs=SELECT))
    town = forms.ChoiceField(label=_("Town / street"), required=False, widget=forms.Select(attrs=SELECT))
    village = forms.ChoiceField(label=_("Village / community"), widget=forms.Select(attrs=SELECT))
    month = forms.CharField(label=_("Month"), max_length=7,
                            widget=forms.TextInput(attrs={**TEXT, "type": "month", "placeholder": "YYYY-MM"}))

    def __init__(self, *args, counties=(), towns=(), villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        choose = [("", _("— choose —"))]
        self.fields["county"].choices = choose + list(counties)
        self.fields["town"].choices = choose + list(towns)
        self.fields["village"].choices = choose + list(villages)


GRADE_CHOICES = [("", _("none"))] + [(str(g), str(g)) for g in range(1, 5)]
DISABILITY_LABELS = {
    "physical": _("physical"), "intellectual": _("intellectual"), "mental": _("mental"), "visual": _("visual"),
    "hearing": _("hearing"), "speech": _("speech"), "multiple": _("multiple"),
}


class MemberForm(forms.Form):
    birth_date = forms.DateField(label=_("Birth date"), widget=forms.DateInput(attrs={**TEXT, "type": "date"}))
    monthly_income = forms.DecimalField(label=_("Monthly income (yuan)"), required=False, min_value=0, max_digits=12,
                                        decimal_places=2, widget=forms.NumberInput(attrs={**TEXT, "step": "0.01", "inputmode": "decimal"}))
    disability_type = forms.ChoiceField(label=_("Disability"), required=False, widget=forms.Select(attrs=SELECT),
                                        choices=[("", _("none"))] + [(k, DISABILITY_LABELS[k]) for k in DISABILITY_TYPES])
    disability_grade = forms.ChoiceField(label=_("Grade"), required=False, choices=GRADE_CHOICES, widget=forms.Select(attrs=SELECT))
    serious_illness = forms.BooleanField(label=_("Serious illness"), required=False,
                                         widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))


MemberFormSet = forms.formset_factory(MemberForm, extra=0, min_num=1, validate_min=True, max_num=30, validate_max=True)


class AssetsForm(forms.Form):
    financial = forms.DecimalField(label=_("Savings and other financial assets (yuan)"), required=False, min_value=0,
                                   max_digits=14, decimal_places=2,
                                   widget=forms.NumberInput(attrs={**TEXT, "step": "0.01", "inputmode": "decimal"}))
    homes = forms.IntegerField(label=_("Homes"), required=False, min_value=0, max_value=100, initial=1,
                               widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}))
    non_residential_properties = forms.IntegerField(label=_("Shops, offices and other non-residential property"), required=False,
                                                    min_value=0, max_value=100, initial=0,
                                                    widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}))
    vehicles = forms.IntegerField(label=_("Cars and other motor vehicles (not e-bikes, motorcycles or mobility vehicles)"),
                                  required=False, min_value=0, max_value=100, initial=0,
                                  widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}))
    businesses = forms.IntegerField(label=_("Registered businesses"), required=False, min_value=0, max_value=100, initial=0,
                                    widget=forms.NumberInput(attrs={**TEXT, "inputmode": "numeric"}))


class StandardsAreaForm(forms.Form):
    """Whose standards to show: an area typed or picked by search (empty: the post's own area)."""

    area = AreaField(label=_("Area"), required=False, levels=(Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWN))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        bind_area_fields(self, actor)
