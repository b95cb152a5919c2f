"""What every page of the enrollments and payroll apps starts with: login and an acting post that
holds the permission (core/decorators.py), "payments.view" unless the page says otherwise. The
permissions keep their "payments." names (areas/roles.py), one set for both apps."""
from safetynet.core.decorators import post_view
from safetynet.core.pagination import numbered_page

PAYMENTS_VIEW = "payments.view"
PAGE_SIZE = 50


def payments_view(permission: str = PAYMENTS_VIEW):
    """Login, an acting post holding `permission` (core/decorators.py)."""
    return post_view(permission)


def page_of(request, queryset) -> tuple[list, int, int, int]:
    """(rows, page, pages, total) of the page the query string asks for (core.pagination)."""
    page = numbered_page(queryset, request.GET.get("page"), PAGE_SIZE)
    return page.rows, page.number, page.pages, page.total
