"""Labels for the codes the changes pages show (statuses, kinds of decision, care levels,
verification flags and datasets), in the page's language."""
from django import template
from django.utils.translation import gettext

from safetynet.enrollments.change_models import ChangeKind
from safetynet.enrollments.models import EnrollmentStatus
from safetynet.programs.rules import CARE_LEVEL_LABELS
from safetynet.verification.casefile import flag_label
from safetynet.verification.reports import source_label

register = template.Library()


@register.filter
def enrollment_status(value):
    try:
        return EnrollmentStatus(value).label
    except ValueError:
        return value or "—"


@register.filter
def change_kind(value):
    try:
        return ChangeKind(value).label
    except ValueError:
        return value or "—"


@register.filter
def care_level(value):
    return gettext(CARE_LEVEL_LABELS[value]) if value in CARE_LEVEL_LABELS else (value or "—")


@register.filter
def flag_labels(flags):
    return gettext(", ").join(flag_label(f) for f in flags or [])


@register.filter
def dataset(code):
    return source_label(code)
