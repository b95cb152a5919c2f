"""The complaint forms: the public one, the staff intake, each action on the complaint page, and a
county's category (each a thin shape over a service's arguments; the services check)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.registry.forms import BootstrapMixin

from .models import STAFF_CHANNELS, ComplaintFinding

TEXT = forms.Textarea(attrs={"rows": 4})


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented way); the service checks what they are."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class ReporterMixin(forms.Form):
    anonymous = forms.BooleanField(label=_("File anonymously (you follow it with the token you are given)"),
                                   required=False, initial=True)
    reporter_name = forms.CharField(label=_("Your name"), max_length=50, required=False)
    reporter_contact = forms.CharField(label=_("Phone or address to reach you"), max_length=100, required=False)


class PublicComplaintForm(BootstrapMixin, ReporterMixin, forms.Form):
    village = forms.ChoiceField(label=_("Village or neighbourhood concerned"), choices=[])
    category = forms.ChoiceField(label=_("What it is about"), choices=[])
    subject = forms.CharField(label=_("Subject (optional)"), max_length=200, required=False)
    content = forms.CharField(label=_("What happened (who, when, where, how you know)"), max_length=5000, widget=TEXT)
    attachments = MultipleFileField(label=_("Documents or photos (PDF, JPEG, PNG or WebP; optional)"), required=False)
    field_order = ["village", "category", "subject", "content", "attachments", "anonymous", "reporter_name",
                   "reporter_contact"]

    def __init__(self, *args, villages=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = list(villages)
        self.fields["category"].choices = list(categories)


class IntakeForm(BootstrapMixin, ReporterMixin, forms.Form):
    channel = forms.ChoiceField(label=_("Received through"), choices=[(c.value, c.label) for c in STAFF_CHANNELS])
    area = forms.ChoiceField(label=_("Village or town concerned"), choices=[])
    category = forms.ChoiceField(label=_("Category"), choices=[])
    subject = forms.CharField(label=_("Subject"), max_length=200, required=False)
    content = forms.CharField(label=_("What is reported"), max_length=5000, widget=TEXT)
    case = forms.IntegerField(label=_("Case concerned (number, optional)"), min_value=1, max_value=2_147_483_647,
                              required=False)
    received_on = forms.DateField(label=_("Received on (empty: today)"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    attachments = MultipleFileField(label=_("Documents or photos (PDF, JPEG, PNG or WebP; optional)"), required=False)
    field_order = ["channel", "area", "category", "subject", "content", "case", "received_on", "attachments",
                   "anonymous", "reporter_name", "reporter_contact"]

    def __init__(self, *args, areas=(), categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = list(areas)
        self.fields["category"].choices = list(categories)
        self.fields["anonymous"].label = _("The reporter stays anonymous")
        self.fields["reporter_name"].label = _("Reporter's name")
        self.fields["reporter_contact"].label = _("Reporter's phone or address")


class AssignForm(BootstrapMixin, forms.Form):
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int, choices=[])

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = list(choices)


class NoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Note (staff only)"), max_length=2000, widget=TEXT)


class OptionalNoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Note (staff only, optional)"), max_length=2000, required=False, widget=TEXT)


class DecideForm(BootstrapMixin, forms.Form):
    finding = forms.ChoiceField(label=_("Finding"), choices=ComplaintFinding.choices)
    result = forms.CharField(label=_("Result of the investigation"), max_length=5000, widget=TEXT)


class ReplyForm(BootstrapMixin, forms.Form):
    answer = forms.CharField(label=_("Answer to the reporter (they read it with their token)"), max_length=5000,
                             widget=TEXT)


class CategoryForm(BootstrapMixin, forms.Form):
    code = forms.SlugField(label=_("Code (a national one to override it, or a new one)"), max_length=40)
    name = forms.CharField(label=_("Name (for the county's own category)"), max_length=100, required=False)
    sensitive = forms.BooleanField(label=_("Sensitive: handled by the county, past the town"), required=False)
    response_days = forms.IntegerField(label=_("Answered within (working days)"), min_value=0, max_value=365)
    resolution_days = forms.IntegerField(label=_("Resolved within (working days)"), min_value=0, max_value=365)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class TokenForm(BootstrapMixin, forms.Form):
    token = forms.CharField(label=_("Your token"), max_length=64,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))


class AppealForm(TokenForm):
    reason = forms.CharField(label=_("Why you ask for a review of the answer"), max_length=5000, widget=TEXT)
