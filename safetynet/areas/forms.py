"""Forms for the network pages: they check shape only; the services hold the rules."""
from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext_lazy as _
from safetynet.core.errors import SafetyNetError
from .selectors import area_labels, resolve_area_input

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


class AreaSearchInput(forms.TextInput):
    """A text input that suggests areas as one types (htmx fills its datalist from
    `areas:options`); without JavaScript a typed code or name is resolved on submit."""

    template_name = "areas/widgets/area_search.html"

    def __init__(self, attrs=None, levels=()):
        super().__init__(attrs)
        self.levels = tuple(levels)

    def get_context(self, name, value, attrs):
        from django.urls import reverse

        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        widget["options_id"] = f"{widget['attrs'].get('id') or name}-options"
        query = urlencode({"levels": ",".join(self.levels), "param": name})
        widget["options_url"] = f"{reverse('areas:options')}?{query}"
        text = str(value or "")
        widget["current"] = area_labels([text]).get(text, "") if text.isascii() and text.isdigit() else ""
        return context


class AreaField(forms.CharField):
    """An area chosen by search (a village's name or code), never from a list of hundreds: cleans
    to the code of the one area in the actor's scope at one of `levels`
    (`areas.selectors.resolve_area_input`); the service that writes checks the scope again."""

    def __init__(self, *, levels, actor=None, **kwargs):
        self.levels = tuple(levels)
        self.actor = actor
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("widget", AreaSearchInput(levels=self.levels))
        super().__init__(**kwargs)
        self.widget.levels = self.levels
        self.widget.attrs.update({"autocomplete": "off", "class": "form-control",
                                  "placeholder": _("Type a name or a code")})

    def clean(self, value):
        text = super().clean(value)
        if not text:
            return ""
        if self.actor is None:
            raise forms.ValidationError(_("No acting post."))
        try:
            return resolve_area_input(self.actor, text, self.levels).code
        except SafetyNetError as exc:
            raise forms.ValidationError(exc.message)


def bind_area_fields(form, actor) -> None:
    """Give every AreaField of `form` the actor whose scope it searches."""
    for field in form.fields.values():
        if isinstance(field, AreaField):
            field.actor = actor
