"""What every page of the enrollments and payroll apps starts with: login and an acting post that
holds the permission (core/decorators.py), "payments.view" unless the page says otherwise. The
permissions keep their "payments." names (areas/roles.py), one set for both apps."""
from safetynet.core.decorators import post_view

PAYMENTS_VIEW = "payments.view"


def payments_view(permission: str = PAYMENTS_VIEW):
    """Login, an acting post holding `permission` (core/decorators.py)."""
    return post_view(permission)
