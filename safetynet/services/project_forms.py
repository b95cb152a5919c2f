"""The service-project forms: the public proposal, the county's design, and each action of the
project page. Thin shapes over the services' arguments: text stays text here (a budget is read by
`core.money.parse_money` in the service, never by a DecimalField that would round it)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from safetynet.registry.forms import BootstrapMixin

from .project_models import TargetGroup
from .projects import CRITERIA, ProjectInput

TEXT = forms.Textarea(attrs={"rows": 4})
DATE = forms.DateInput(attrs={"type": "date"})


class ProjectFields(BootstrapMixin, forms.Form):
    area = forms.ChoiceField(label=_("County or town served"), choices=[])
    title = forms.CharField(label=_("Project title"), max_length=200)
    description = forms.CharField(label=_("What the project does, for whom, how"), max_length=5000, widget=TEXT)
    target_group = forms.ChoiceField(label=_("Target group"), choices=TargetGroup.choices)
    target_note = forms.CharField(label=_("Target group, in words (required for \"other\")"), max_length=200,
                                  required=False)
    budget = forms.CharField(label=_("Budget (yuan, e.g. 120000.00)"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = list(areas)


class ProposerFields(forms.Form):
    proposer_name = forms.CharField(label=_("Organisation's name"), max_length=200)
    proposer_uscc = forms.CharField(label=_("Unified social credit code (18 characters)"), max_length=40,
                                    widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))
    contact_name = forms.CharField(label=_("Contact person"), max_length=50)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=20,
                                    widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    contact_email = forms.CharField(label=_("Contact email (optional)"), max_length=254, required=False,
                                    widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class ProposalForm(ProjectFields, ProposerFields):
    field_order = ["area", "title", "description", "target_group", "target_note", "budget", "starts_on", "ends_on",
                   "proposer_name", "proposer_uscc", "contact_name", "contact_phone", "contact_email"]


class DesignForm(ProjectFields, ProposerFields):
    """The county's own design; the organisation and contact are optional (it may be put out to
    tender later)."""

    field_order = ProposalForm.field_order

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("proposer_name", "proposer_uscc", "contact_name", "contact_phone"):
            self.fields[name].required = False
        self.fields["proposer_name"].label = _("Organisation to carry it out (optional)")
        self.fields["proposer_uscc"].label = _("Its unified social credit code (optional)")
        self.fields["contact_name"].label = _("Contact person (optional)")
        self.fields["contact_phone"].label = _("Contact phone (optional)")


def project_input_of(data: dict):
    """The form's cleaned data as the service's `ProjectInput`."""
    return ProjectInput(area_code=data["area"], title=data["title"], description=data["description"],
                        target_group=data["target_group"], target_note=data["target_note"], budget=data["budget"],
                        starts_on=data["starts_on"], ends_on=data["ends_on"], proposer_name=data["proposer_name"],
                        proposer_uscc=data["proposer_uscc"], contact_name=data["contact_name"],
                        contact_phone=data["contact_phone"], contact_email=data["contact_email"])


class TokenForm(BootstrapMixin, forms.Form):
    token = forms.CharField(label=_("Your token"), max_length=64,
                            widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}))


class PanelForm(BootstrapMixin, forms.Form):
    members = forms.TypedMultipleChoiceField(label=_("Panel members"), coerce=int, choices=[],
                                             widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = list(choices)
        self.fields["members"].widget.attrs["class"] = "form-check-input"


class EvaluationForm(BootstrapMixin, forms.Form):
    """The score is text here so that the service says why 120 or 59.5 is refused, with the scale."""

    score = forms.CharField(label=_("Score"), max_length=10, widget=forms.TextInput(attrs={"inputmode": "numeric"}))
    comment = forms.CharField(label=_("Comment (required)"), max_length=5000, widget=TEXT)

    def __init__(self, *args, scale=None, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label in CRITERIA.items():
            self.fields[f"criterion_{key}"] = forms.CharField(label=label, max_length=10, required=False,
                                                              widget=forms.TextInput(attrs={"inputmode": "numeric",
                                                                                            "class": "form-control"}))
        if scale is not None:
            self.fields["score"].label = _("Score (0 to %(max)d; the project passes at %(pass)d on average)") % {
                "max": scale.maximum, "pass": scale.pass_score}

    def criteria(self) -> dict:
        return {key: self.cleaned_data.get(f"criterion_{key}", "") for key in CRITERIA
                if self.cleaned_data.get(f"criterion_{key}", "")}
