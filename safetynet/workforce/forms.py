"""The investigators' picker, one for every home visit (a case's survey, a county visit, a
re-check's survey): people are ticked from the staff register, the worker's own identity ticked
already, so nobody types a colleague's name and 18-digit ID number again. A person not in the
register (rare) is typed in the folded rows, with the ID number the relative check needs."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

TYPED_ROWS = 2


class InvestigatorFields(forms.Form):
    """Mixed into a form: `investigators` (staff register ids) and `name_n`/`id_number_n` typed rows.

    `staff_choices` and `own_staff` come from `workforce.selectors.investigator_choices`."""

    investigators = forms.MultipleChoiceField(label=_("Investigators from the staff register"), required=False,
                                              widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, staff_choices=(), own_staff=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investigators"].choices = list(staff_choices)
        self.fields["investigators"].widget.attrs["class"] = "list-unstyled mb-0"
        if not self.is_bound:
            offered = {value for value, _label in self.fields["investigators"].choices}
            self.initial.setdefault("investigators", [str(pk) for pk in own_staff if str(pk) in offered])
        for n in range(1, TYPED_ROWS + 1):
            self.fields[f"name_{n}"] = forms.CharField(label=_("Other investigator: name"), required=False, max_length=50,
                                                       widget=forms.TextInput(attrs={"class": "form-control"}))
            self.fields[f"id_number_{n}"] = forms.CharField(
                label=_("ID number"), required=False, max_length=20,
                widget=forms.TextInput(attrs={"class": "form-control id-number", "autocomplete": "off"}))

    @property
    def typed_rows(self):
        return [(self[f"name_{n}"], self[f"id_number_{n}"]) for n in range(1, TYPED_ROWS + 1)]

    @property
    def typed_rows_used(self) -> bool:
        """Whether the folded rows hold something (then they open, so nothing typed is hidden)."""
        return any((f.value() or "").strip() for pair in self.typed_rows for f in pair) or any(
            self.has_error(f.name) for pair in self.typed_rows for f in pair)

    def clean(self):
        data = super().clean()
        for n in range(1, TYPED_ROWS + 1):
            name, number = (data.get(f"name_{n}") or "").strip(), (data.get(f"id_number_{n}") or "").strip()
            if name and not number:
                self.add_error(f"id_number_{n}", _("Give the ID number (the relative check needs it)."))
            elif number and not name:
                self.add_error(f"name_{n}", _("Give the name."))
        return data

    def investigator_items(self) -> list[dict]:
        """What the services take: {"staff_identity_id"} per ticked person, {"name", "id_number"} per typed row."""
        data = self.cleaned_data
        people = [{"staff_identity_id": int(value)} for value in data.get("investigators") or ()]
        for n in range(1, TYPED_ROWS + 1):
            name, number = (data.get(f"name_{n}") or "").strip(), (data.get(f"id_number_{n}") or "").strip()
            if name and number:
                people.append({"name": name, "id_number": number})
        return people
