from django import forms
from django.utils.translation import gettext_lazy as _


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    is_working_day = forms.TypedChoiceField(
        label=_("Kind"), coerce=lambda v: v == "1", widget=forms.Select(attrs={"class": "form-select"}),
        choices=[("0", _("holiday (day off on a weekday)")), ("1", _("make-up working day (on a weekend)"))],
    )
    name = forms.CharField(label=_("Name"), max_length=64, required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
