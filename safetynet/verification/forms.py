"""Forms of the verification pages: shapes only; the services hold the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.registry.forms import BootstrapMixin


class NoteForm(forms.Form):
    """A sign-off or a confirmation: an optional note."""

    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))


class SignOffForm(NoteForm):
    """A report's sign-off: the note, and a reason field for each dataset that was missing or out
    of date (none when every dataset was there and fresh: one submit). Shapes only: the rule that
    each needs a reason is coverage.require_reasons, and its errors come back on these fields."""

    def __init__(self, *args, gaps=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.gaps = list(gaps)
        for gap in self.gaps:
            self.fields[gap.field] = forms.CharField(
                label=gap.describe(), required=False, max_length=500,
                widget=forms.TextInput(attrs={"class": "form-control", "data-dataset": gap.dataset}))

    def reasons(self) -> dict:
        """{dataset: the reason as typed}: the service checks and cleans them."""
        return {g.dataset: self.data.get(g.field, "") for g in self.gaps}

    def reason_fields(self):
        return [self[g.field] for g in self.gaps]


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
