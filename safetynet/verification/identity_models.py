"""Identity resolution's records (issue 4, part 3): what the matcher proposes and what a county
officer confirmed.

A department record whose ID number is a legacy 15-digit number, has a wrong check digit, or is
missing cannot be joined to a person by the engine (it joins on exact 18-digit numbers only).
identity.py matches such records to registry persons with Splink and writes an
`IdentityProposal` for each likely match, never a link: a county officer confirms or rejects
each one (identity_services.py). A confirmation writes an `IdentityLink`, which later
verification runs read (identity.linked_findings): the record then counts as the person's.

A record is named by its dataset and its *record key*: the ID number as the record carries it,
or, when it has none, `name:<name>|<birth date>` — the identity the importer already uses to
tell rows apart (importer._identity_key_sql). Every row of the dataset with that key is the same
person's.
"""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("waiting for review")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")


class IdentityKind(models.TextChoices):
    LEGACY = "legacy", _("15-digit legacy ID number")
    BAD_CHECK = "bad_check", _("wrong check digit")
    MISSING = "missing", _("no ID number")


class IdentityProposal(models.Model):
    dataset = models.CharField(max_length=40, verbose_name=_("dataset"))
    snapshot_id = models.BigIntegerField(verbose_name=_("snapshot"))
    record_key = models.CharField(max_length=120, verbose_name=_("record key"))
    id_kind = models.CharField(max_length=12, choices=IdentityKind.choices, verbose_name=_("what is wrong with the ID"))
    record_id_number = models.CharField(max_length=18, blank=True, verbose_name=_("ID number on the record"))
    record_name = models.CharField(max_length=50, blank=True, verbose_name=_("name on the record"))
    record_birth_date = models.DateField(null=True, blank=True, verbose_name=_("birth date on the record"))
    record_address = models.CharField(max_length=200, blank=True, verbose_name=_("address on the record"))
    record_rows = models.PositiveIntegerField(default=1, verbose_name=_("rows"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    area_code = models.CharField(max_length=18)          # the person's area: scope
    match_probability = models.FloatField(verbose_name=_("match probability"))
    match_weight = models.FloatField(default=0)
    compared = models.JSONField(default=dict, blank=True)   # {field: {"record": v, "person": v, "level": label}}
    status = models.CharField(max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED,
                              verbose_name=_("status"))
    proposed_by = models.CharField(max_length=150)
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.CharField(max_length=150, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True, verbose_name=_("note"))

    class Meta:
        ordering = ["-match_probability", "id"]
        verbose_name = _("identity proposal")
        verbose_name_plural = _("identity proposals")
        constraints = [
            models.UniqueConstraint(fields=["dataset", "record_key", "person"], name="identity_proposal_unique"),
            models.CheckConstraint(condition=models.Q(match_probability__gte=0, match_probability__lte=1),
                                   name="identity_proposal_probability"),
        ]
        indexes = [models.Index(fields=["status", "area_code"], name="identity_proposal_status_area")]

    def __str__(self):
        return f"{self.dataset}:{self.record_key} → {self.person_id} ({self.match_probability:.3f})"


class IdentityLink(models.Model):
    """A confirmed match: every row of `dataset` whose record key is `record_key` is the person's."""

    dataset = models.CharField(max_length=40, verbose_name=_("dataset"))
    record_key = models.CharField(max_length=120, verbose_name=_("record key"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("person"))
    person_id_number = models.CharField(max_length=18)
    area_code = models.CharField(max_length=18)
    proposal = models.OneToOneField(IdentityProposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="link")
    confirmed_by = models.CharField(max_length=150)
    confirmed_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset", "record_key"]
        verbose_name = _("identity link")
        verbose_name_plural = _("identity links")
        constraints = [models.UniqueConstraint(fields=["dataset", "record_key"], name="identity_link_one_per_record")]
        indexes = [models.Index(fields=["person_id_number"], name="identity_link_person_idnum")]

    def __str__(self):
        return f"{self.dataset}:{self.record_key} = {self.person_id_number}"
