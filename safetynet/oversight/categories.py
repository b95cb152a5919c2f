"""The national default complaint categories and their limits (seeded by migration; a county
overrides a row or adds its own on the categories page).

Limits are working days from the day a complaint arrives. The Regulations on Letters and Visits
Work (2022) give 15 days to say whether a matter is taken and 60 to settle it (art. 31–35); the
defaults here are the shorter local practice of assistance hotlines (answered in days, settled in
weeks), and a county sets its own.
"""
from .models import CategoryCode

_LOCAL = "Regulations on Letters and Visits Work (2022) art. 31–35 (a shorter local default)"

# code: (sensitive, answered within, resolved within, source)
DEFAULT_CATEGORIES = {
    CategoryCode.WRONGLY_PAID: (False, 3, 20, _LOCAL),
    CategoryCode.MISSED: (False, 2, 15, _LOCAL),
    CategoryCode.AMOUNT: (False, 3, 15, _LOCAL),
    CategoryCode.PROCEDURE: (False, 3, 15, _LOCAL),
    CategoryCode.NOTICE_OBJECTION: (False, 3, 10, "MLG-2021 art. 19 (an objection is verified before confirmation; a local default)"),
    CategoryCode.PRIVACY: (True, 2, 15, _LOCAL),
    CategoryCode.BRIBERY: (True, 2, 30, _LOCAL),
    CategoryCode.STAFF_RELATIVE: (True, 2, 30, "MLG-2021 art. 11, 20 · " + _LOCAL),
    CategoryCode.CONTROL_FINDING: (False, 5, 30, _LOCAL),
    CategoryCode.OTHER: (False, 5, 20, _LOCAL),
}


def seed_categories(category_model) -> int:
    """Add the national rows that are missing (never changes a row an operator edited)."""
    have = set(category_model.objects.filter(area__isnull=True).values_list("code", flat=True))
    rows = [category_model(area=None, code=str(code), sensitive=sensitive, response_days=response,
                           resolution_days=resolution, source=source)
            for code, (sensitive, response, resolution, source) in DEFAULT_CATEGORIES.items() if str(code) not in have]
    category_model.objects.bulk_create(rows)
    return len(rows)
