"""Forms for the case pages: shape only, and what was typed is kept on a failed submit.

The rules (two investigators who are not relatives, the representatives' share, the notice's
days, who decides) are the services'; their errors are put back next to the field they name.
Every action form carries the `version` of the case the user saw, so a form left open while
someone else moved the case fails clearly (StaleCase) instead of acting on a stale page.
"""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.programs.rules import DAILY_ACTIVITIES
from safetynet.publicity.models import ObjectionFinding
from safetynet.registry.forms import BootstrapMixin
from safetynet.registry.models import DisabilityType, IncomeCategory
from safetynet.workforce.forms import InvestigatorFields

from .models import Channel, DibaoKind, SupporterInability, SupporterRelation, TemporaryKind

DATE = {"type": "date"}
TEXTAREA = {"rows": 3}
ACTIVITY_LABELS = {
    "eating": _("eating"), "dressing": _("dressing"), "bed_transfer": _("getting in and out of bed"),
    "toileting": _("toileting"), "walking_indoors": _("walking indoors"), "bathing": _("bathing"),
}
PROGRAM_CHOICES = [("dibao", _("dibao (minimum living guarantee)")), ("special_hardship", _("special hardship support")),
                   ("temporary", _("temporary assistance"))]


def _blank(choices, label=_("— choose —")):
    return [("", label), *choices]


class ActionForm(BootstrapMixin, forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def service_kwargs(self) -> dict:
        """The cleaned values as the service's keyword arguments (version included)."""
        return dict(self.cleaned_data)


class NoteForm(ActionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))


class ReasonsForm(ActionForm):
    reasons = forms.CharField(label=_("Reasons, as the applicant will read them"), max_length=20000,
                              widget=forms.Textarea(attrs={"rows": 4}))


class AcceptForm(ActionForm):
    promise_signed = forms.BooleanField(label=_("The applicant signed the truthfulness promise"), required=False, initial=True)
    authorization_signed = forms.BooleanField(label=_("The applicant signed the authorization for verification"),
                                              required=False, initial=True)
    missing_materials = forms.CharField(
        label=_("Missing materials (one per line, asked for once)"), required=False, max_length=4000,
        help_text=_("Leave empty when nothing is missing. Never ask for what a government platform already holds."),
        widget=forms.Textarea(attrs=TEXTAREA))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class MaterialsForm(ActionForm):
    items = forms.CharField(label=_("Missing materials (one per line)"), max_length=4000, widget=forms.Textarea(attrs=TEXTAREA))


class SurveyForm(InvestigatorFields, ActionForm):
    """A home visit: at least two investigators ticked from the staff register (the worker
    already ticked: workforce/forms.py), neither related to the household."""

    conducted_on = forms.DateField(label=_("Date of visit"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    findings = forms.CharField(label=_("Findings"), max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))
    duration_minutes = forms.IntegerField(
        label=_("Length of the visit (minutes)"), required=False, min_value=1, max_value=1440,
        help_text=_("From arriving to leaving; a very short visit is flagged to the county."))
    signed_by_household = forms.BooleanField(label=_("The household and the investigators signed the record"), required=False)
    field_order = ["version", "conducted_on", "duration_minutes", "investigators", "findings", "signed_by_household"]

    def __init__(self, *args, with_activities: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_activities = with_activities
        if with_activities:
            for name in DAILY_ACTIVITIES:
                self.fields[f"able_{name}"] = forms.BooleanField(
                    label=ACTIVITY_LABELS[name], required=False, widget=forms.CheckboxInput(attrs={"class": "form-check-input"}))

    @property
    def activity_fields(self):
        return [self[f"able_{name}"] for name in DAILY_ACTIVITIES] if self.with_activities else []

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        kwargs = {"version": data["version"], "conducted_on": data["conducted_on"], "investigators": self.investigator_items(),
                  "findings": data["findings"], "signed_by_household": data["signed_by_household"],
                  "duration_minutes": data.get("duration_minutes")}
        if self.with_activities:
            kwargs["daily_activities"] = {name: bool(data.get(f"able_{name}")) for name in DAILY_ACTIVITIES}
        return kwargs


class IncomeRowForm(BootstrapMixin, forms.Form):
    """One verified income item (pre-filled from the declaration: confirm or correct)."""

    person = forms.TypedChoiceField(label=_("Member"), required=False, coerce=int, empty_value=None)
    category = forms.ChoiceField(label=_("Kind"), required=False, choices=_blank(IncomeCategory.choices))
    monthly_amount = forms.DecimalField(label=_("Per month"), required=False, min_value=0, max_digits=12, decimal_places=2)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].choices = _blank(list(members), _("— household —"))

    def clean(self):
        data = super().clean()
        if data.get("monthly_amount") is not None and not data.get("category"):
            self.add_error("category", _("Choose the kind of income."))
        return data


IncomeRowFormSet = forms.formset_factory(IncomeRowForm, extra=2, max_num=40)


class VerificationForm(ActionForm):
    summary = forms.CharField(label=_("Summary of the departments' answers"), max_length=20000,
                              widget=forms.Textarea(attrs=TEXTAREA))
    total_financial_assets = forms.DecimalField(label=_("Financial assets found"), required=False, min_value=0,
                                                max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Findings (sources and dates)"), required=False, max_length=20000,
                           widget=forms.Textarea(attrs=TEXTAREA))


class DeliberationForm(ActionForm):
    held_on = forms.DateField(label=_("Date of the meeting"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    participants = forms.IntegerField(label=_("Participants"), min_value=1, max_value=10000)
    village_representatives = forms.IntegerField(label=_("of whom village representatives"), min_value=0, max_value=10000)
    votes_for = forms.IntegerField(label=_("Votes for"), min_value=0, max_value=10000, initial=0)
    votes_against = forms.IntegerField(label=_("Votes against"), min_value=0, max_value=10000, initial=0)
    votes_abstaining = forms.IntegerField(label=_("Abstentions"), min_value=0, max_value=10000, initial=0)
    opinion = forms.CharField(label=_("Opinion of the meeting"), max_length=20000, widget=forms.Textarea(attrs=TEXTAREA))


class OpinionForm(ActionForm):
    """The town's opinion (offered from the rule's assessment) and, where the case has a public
    notice, the notice published in the same submit: the two steps are still taken one after the
    other by their own services."""

    opinion = forms.CharField(label=_("Town opinion"), required=False, max_length=20000, widget=forms.Textarea(attrs=TEXTAREA))
    publish_notice = forms.BooleanField(
        label=_("Publish the public notice today as well"), required=False, initial=True,
        help_text=_("Only when the rule finds the household eligible. The notice runs its days from today in the village; "
                    "the name is masked, no ID number, address or health facts."))

    def __init__(self, *args, with_notice: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not with_notice:
            del self.fields["publish_notice"]


class NoticeForm(ActionForm):
    starts_on = forms.DateField(label=_("Notice starts on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
                                help_text=_("7 days in the village; the name is masked, no ID number, address or health facts."))


class ObjectionForm(ActionForm):
    content = forms.CharField(label=_("Objection"), max_length=20000, widget=forms.Textarea(attrs=TEXTAREA))
    objector_name = forms.CharField(label=_("From (may be anonymous)"), required=False, max_length=50)
    objector_contact = forms.CharField(label=_("Contact"), required=False, max_length=50)
    received_on = forms.DateField(label=_("Received on"), widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))


class ObjectionAnswerForm(ActionForm):
    finding = forms.ChoiceField(label=_("Finding after the re-survey or deliberation"),
                                choices=_blank(ObjectionFinding.choices))
    answer = forms.CharField(label=_("Answer, as the objector will be told"), max_length=20000,
                             widget=forms.Textarea(attrs=TEXTAREA))


class AmountForm(ActionForm):
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=0, max_digits=12, decimal_places=2)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class QuickAidForm(ActionForm):
    amount = forms.DecimalField(label=_("Amount (yuan)"), min_value=0, max_digits=12, decimal_places=2)


class DocumentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Photo or document (JPEG, PNG or PDF, up to 20 MB)"))
    description = forms.CharField(label=_("Description"), required=False, max_length=200)


class ApplicationForm(BootstrapMixin, forms.Form):
    """A new application from a registered household: the members, their income and assets come
    from the registry (never typed twice); only what the registry cannot know is asked."""

    program = forms.ChoiceField(label=_("Program"), choices=_blank(PROGRAM_CHOICES))
    applicant = forms.TypedChoiceField(label=_("Applicant"), coerce=int)
    channel = forms.ChoiceField(label=_("How the application came in"), choices=Channel.choices, initial=Channel.WALK_IN)
    entrusted_by = forms.CharField(label=_("Entrusted by (village committee or person)"), required=False, max_length=100)
    dibao_kind = forms.ChoiceField(label=_("Dibao coverage"), choices=DibaoKind.choices, initial=DibaoKind.HOUSEHOLD, required=False)
    temporary_kind = forms.ChoiceField(label=_("Temporary assistance path"), choices=_blank(TemporaryKind.choices), required=False)
    covered_person = forms.TypedChoiceField(label=_("Person covered (individual coverage or special hardship)"), coerce=int,
                                            required=False, empty_value=None)
    requested_amount = forms.DecimalField(label=_("Requested amount (temporary assistance, yuan)"), required=False, min_value=0,
                                          max_digits=12, decimal_places=2)
    reason = forms.CharField(label=_("Reason given"), required=False, max_length=2000, widget=forms.Textarea(attrs=TEXTAREA))
    accept = forms.BooleanField(
        label=_("Accept it now: materials complete, the promise and the authorization signed at the window"),
        required=False, initial=True)

    def __init__(self, *args, members=(), can_accept: bool = False, **kwargs):
        """`can_accept`: the post also accepts applications (a town window), so the application is
        accepted in the same submit unless the box is cleared; other posts only file it."""
        super().__init__(*args, **kwargs)
        self.fields["applicant"].choices = list(members)
        self.fields["covered_person"].choices = _blank(list(members), _("— the applicant —"))
        if not can_accept:
            del self.fields["accept"]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        program = data["program"]
        kind = data.get("temporary_kind") if program == "temporary" else (data.get("dibao_kind") or "household") \
            if program == "dibao" else None
        return {"program_code": program, "applicant_id": data["applicant"], "channel": data["channel"],
                "entrusted_by": data.get("entrusted_by") or "", "kind": kind,
                "covered_person_id": data.get("covered_person"),
                "requested_amount": data.get("requested_amount") if program == "temporary" else None,
                "reason": data.get("reason") or "", "accept": bool(data.get("accept"))}


class SupporterForm(BootstrapMixin, forms.Form):
    """A supporter of a special-hardship applicant and why he cannot support (SH-2021 art. 8)."""

    name = forms.CharField(label=_("Supporter's name"), max_length=50)
    relation = forms.ChoiceField(label=_("Relation to the person"))
    id_number = forms.CharField(label=_("ID number (if known)"), required=False, max_length=20,
                                widget=forms.TextInput(attrs={"class": "form-control id-number", "autocomplete": "off"}))
    birth_date = forms.DateField(label=_("Birth date (without an ID number)"), required=False,
                                 widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"))
    inability = forms.ChoiceField(label=_("Why unable to support"))
    disability_type = forms.ChoiceField(label=_("Disability type (severely disabled only)"), required=False)
    disability_grade = forms.TypedChoiceField(label=_("Disability grade"), required=False, coerce=int, empty_value=None,
                                              choices=[("", "—"), *[(str(g), str(g)) for g in range(1, 5)]])
    note = forms.CharField(label=_("Note (the proof seen)"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].choices = _blank(SupporterRelation.choices)
        self.fields["inability"].choices = SupporterInability.choices
        self.fields["disability_type"].choices = _blank(DisabilityType.choices, "—")
