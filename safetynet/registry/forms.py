"""Forms for the registry pages: they check shape only and keep what was typed; the services hold
the rules (services.validate_member and friends), and their errors are put back next to the field."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.areas.forms import AreaField, bind_area_fields
from safetynet.areas.models import Level

from .services import HOUSEHOLD_LEVELS
from .models import AssetCategory, DisabilityType, IncomeCategory, KinshipRelation, RegistrationType, RelationToHead, WorkAbility

# A town's roster is a few thousand rows, a county's some hundred thousand: 30 MB is ample.
MAX_IMPORT_BYTES = 30 * 1024 * 1024


def _blank(choices, label=_("— none —")):
    return [("", label), *choices]


class BootstrapMixin:
    """Bootstrap classes on every widget, and `is-invalid` on fields with errors after validation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def mark_invalid(self):
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
                widget.attrs["aria-invalid"] = "true"
        return self


class SearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Name or ID number"), required=False, max_length=50,
                        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    address = forms.CharField(label=_("Address contains"), required=False, max_length=50,
                              widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}))
    area = AreaField(label=_("Area"), required=False, levels=(Level.TOWN, Level.VILLAGE, Level.GROUP, Level.GRID),
                     help_text=_("Empty: all my areas."))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        bind_area_fields(self, actor)


class HouseholdForm(BootstrapMixin, forms.Form):
    area_code = AreaField(label=_("Registered area (village, group or grid)"), levels=HOUSEHOLD_LEVELS)
    address = forms.CharField(label=_("Address"), max_length=200)
    registration_type = forms.ChoiceField(label=_("Household registration"), choices=_blank(RegistrationType.choices, _("— choose —")))
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    bank_account = forms.CharField(label=_("Bank account (social-security card)"), max_length=32, required=False)

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        bind_area_fields(self, actor)


class MemberForm(BootstrapMixin, forms.Form):
    """One member. Sex and birth date are not asked: they come from the ID number (DESIGN.md §4)."""

    # Lengths are generous here: what is typed may carry spaces or invisible characters that the
    # services strip before they count (core.text, core.idnumbers); the services hold the limits.
    name = forms.CharField(label=_("Name"), max_length=100)
    id_number = forms.CharField(label=_("ID number"), max_length=40,
                                help_text=_("18 characters (a 15-digit old number is converted). Sex and birth date are read from it."),
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "class": "form-control id-number"}))
    relation_to_head = forms.ChoiceField(label=_("Relation to head"), choices=_blank(RelationToHead.choices, _("— choose —")))
    disability_type = forms.ChoiceField(label=_("Disability type"), choices=_blank(DisabilityType.choices), required=False)
    disability_grade = forms.ChoiceField(label=_("Disability grade"), required=False,
                                         choices=_blank([(str(g), str(g)) for g in range(1, 5)]))
    serious_illness = forms.BooleanField(label=_("Serious illness"), required=False)
    work_ability = forms.ChoiceField(label=_("Ability to work"), choices=WorkAbility.choices, initial=WorkAbility.FULL)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)

    def __init__(self, *args, as_head=False, keep_id_number=False, masked_id="", **kwargs):
        super().__init__(*args, **kwargs)
        if as_head:
            del self.fields["relation_to_head"]
        if keep_id_number:
            # Editing: the whole number is not shown (that would be an unlogged unmasking);
            # leave it empty to keep it, or type the corrected number.
            self.fields["id_number"].required = False
            self.fields["id_number"].help_text = _("Now %(masked)s. Leave empty to keep it, or type the corrected number.") % {"masked": masked_id}

    def member_values(self) -> dict:
        data = dict(self.cleaned_data)
        if not data.get("id_number"):
            data.pop("id_number", None)
        return data


class OtherMemberForm(BootstrapMixin, forms.Form):
    """Another member typed with the household at registration, so a family at the window is one
    submit (issue 15); a blank row is ignored. The other facts (disability, work ability...) keep
    their defaults and are edited on the member's page."""

    name = forms.CharField(label=_("Name"), max_length=100, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "class": "form-control id-number"}))
    relation_to_head = forms.ChoiceField(label=_("Relation to head"), required=False, choices=_blank(
        [(value, label) for value, label in RelationToHead.choices if value != RelationToHead.HEAD], _("— choose —")))

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not ((data.get("name") or "").strip() or (data.get("id_number") or "").strip() or data.get("relation_to_head"))

    def clean(self):
        data = super().clean()
        if not self.is_blank():
            for name, message in (("name", _("Give the name.")), ("id_number", _("Give the ID number.")),
                                  ("relation_to_head", _("Choose the relation to the head."))):
                if not (data.get(name) or "").strip():
                    self.add_error(name, message)
        return data

    def member_values(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("name", "id_number", "relation_to_head")}


OtherMemberFormSet = forms.formset_factory(OtherMemberForm, extra=3, max_num=20, validate_max=True)


class RemoveMemberForm(BootstrapMixin, forms.Form):
    new_head = forms.ChoiceField(label=_("New head of household"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, other_members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_head"].choices = _blank([(str(p.pk), p.name) for p in other_members])


class KinshipForm(BootstrapMixin, forms.Form):
    person = forms.ChoiceField(label=_("Member of this household"))
    relation = forms.ChoiceField(label=_("The relative is the member's"), choices=_blank(KinshipRelation.choices, _("— choose —")))
    relative_id_number = forms.CharField(label=_("Relative's ID number"), max_length=40,
                                         help_text=_("The relative must be registered in another household (in any area)."),
                                         widget=forms.TextInput(attrs={"autocomplete": "off", "class": "form-control id-number"}))

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = [(str(p.pk), p.name) for p in members]


class IncomeItemForm(BootstrapMixin, forms.Form):
    category = forms.ChoiceField(label=_("Kind of income"), required=False, choices=_blank(IncomeCategory.choices))
    monthly_amount = forms.DecimalField(label=_("Monthly amount (¥)"), required=False, min_value=0, max_digits=12, decimal_places=2,
                                        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}))
    person_id = forms.ChoiceField(label=_("Member"), required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person_id"].choices = _blank([(str(p.pk), p.name) for p in members], _("— household —"))

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not data.get("category") and data.get("monthly_amount") in (None, "") and not data.get("description")


class AssetForm(BootstrapMixin, forms.Form):
    category = forms.ChoiceField(label=_("Kind of asset"), required=False, choices=_blank(AssetCategory.choices))
    value = forms.DecimalField(label=_("Value (¥)"), required=False, min_value=0, max_digits=14, decimal_places=2,
                               widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}))
    quantity = forms.IntegerField(label=_("Quantity"), required=False, min_value=1, initial=1)
    person_id = forms.ChoiceField(label=_("Member"), required=False)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    is_exempt = forms.BooleanField(label=_("Exempt as a necessity"), required=False)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person_id"].choices = _blank([(str(p.pk), p.name) for p in members], _("— household —"))

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not data.get("category") and data.get("value") in (None, "") and not data.get("description")


IncomeFormSet = forms.formset_factory(IncomeItemForm, extra=0, max_num=100, validate_max=True)
AssetFormSet = forms.formset_factory(AssetForm, extra=0, max_num=100, validate_max=True)


class RosterImportForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("Household roster (.xlsx or .csv)"),
        help_text=_("One row per person. Columns: household_ref, area_code, address, registration_type, name, id_number, "
                    "relation_to_head (Chinese headers such as 户编号, 区划代码, 地址, 户籍性质, 姓名, 身份证号, 与户主关系 are understood)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    area = AreaField(label=_("Import into area"), required=False, levels=(Level.TOWN, Level.VILLAGE),
                     help_text=_("Rows whose area is not under this one are refused. Empty: your whole area."))

    def __init__(self, *args, actor=None, **kwargs):
        super().__init__(*args, **kwargs)
        bind_area_fields(self, actor)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 30 MB."))
        return upload
