"""Forms of the verification pages: shapes only; the services hold the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.registry.forms import BootstrapMixin


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



class SnapshotImportForm(BootstrapMixin, forms.Form):
    """A department's file, uploaded by a county officer (importer.py checks what is in it)."""

    dataset = forms.ChoiceField(label=_("Dataset"))
    file = forms.FileField(label=_("File (CSV, Excel .xlsx or Parquet)"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.xlsx,.xlsm,.parquet,.pq"}))
    taken_on = forms.DateField(label=_("Data taken on"), required=False,
                               help_text=_("The day the department extracted the data; today if left empty."),
                               widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, datasets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = list(datasets)


class DepartmentAccountForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("Login name"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    department = forms.ChoiceField(label=_("Department"))
    area = forms.CharField(label=_("Area code"), required=False, max_length=18,
                           help_text=_("The area whose office manages this login; yours if left empty."),
                           widget=forms.TextInput(attrs={"inputmode": "numeric"}))

    def __init__(self, *args, departments=(), with_area: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = list(departments)
        if not with_area:
            del self.fields["area"]


class TokenForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Token name"), required=False, max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))
