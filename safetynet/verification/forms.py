"""Forms of the verification pages: shapes only; the services hold the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _


class NoteForm(forms.Form):
    """A sign-off or a confirmation: an optional note."""

    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class RejectForm(forms.Form):
    note = forms.CharField(label=_("Why is this not the person?"), max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class RequestForm(forms.Form):
    household = forms.IntegerField(widget=forms.HiddenInput)
    case = forms.IntegerField(required=False, widget=forms.HiddenInput)
