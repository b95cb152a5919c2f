"""Forms for the network pages: they check shape only; the services hold the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

# A county's list is a few hundred rows, a province's some tens of thousands: 20 MB is ample.
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class DivisionImportForm(forms.Form):
    file = forms.FileField(
        label=_("Division-code list (.xlsx or .csv)"),
        help_text=_("Columns: code, name, urban-rural class (Chinese headers such as 统计用区划代码, 名称, 城乡分类代码 are understood)."),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."))
        return upload


class AreaNameForm(forms.Form):
    """The name of a new group or grid, or the new name of an area."""

    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))


class AreaSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}))
