"""How a page runs a write: the service's refusal of the input comes back to the form
(422, by its field, with what was typed); a refusal by role or area is the 403 or 404 page."""
from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from safetynet.core.errors import NotFound, PermissionDenied, SafetyNetError


def attempt(action):
    """Run a write: (result, None) or (None, error)."""
    try:
        return action(), None
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message)
    except NotFound:
        raise Http404(_("Not found in your area."))
    except SafetyNetError as exc:
        return None, exc
