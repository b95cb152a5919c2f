"""Forms for the network pages: they check shape only; the services hold the rules."""
from django import forms
from django.utils.translation import gettext_lazy as _

# A county's list is a few hundred rows; the national package's largest file (villages.csv,
# 620,573 rows) is 38 MB.
MAX_IMPORT_BYTES = 64 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe): cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)) and data:
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)]


class DivisionImportForm(forms.Form):
    file = MultipleFileField(
        label=_("Division-code lists (.xlsx or .csv, one or several)"),
        help_text=_("The statistics bureau's package as it ships (provinces, cities, areas, streets, villages: choose the "
                    "files together, in any order), or columns code, name, urban-rural class (Chinese headers such as "
                    "统计用区划代码, 名称, 城乡分类代码 are understood)."),
        widget=MultipleFileInput(attrs={"class": "form-control", "accept": ".xlsx,.csv"}),
    )

    def clean_file(self):
        uploads = self.cleaned_data["file"]
        for upload in uploads:
            if upload.size > MAX_IMPORT_BYTES:
                raise forms.ValidationError(_("%(name)s is larger than 64 MB.") % {"name": upload.name})
        return uploads


class AreaNameForm(forms.Form):
    """The name of a new group or grid, or the new name of an area."""

    name = forms.CharField(label=_("Name"), max_length=100, widget=forms.TextInput(attrs={"class": "form-control"}))


class AreaSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}))
