"""What every page of every app does before its own work: a login, an acting post that holds the
page's permission, and the domain's errors turned into the pages' (DESIGN.md §5)."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from .errors import NotFound, PermissionDenied


def acting_post(request, permission: str):
    """The request's acting post (an Actor) if it holds `permission`; a 403 page otherwise."""
    actor = getattr(request, "actor", None)
    if actor is None:
        raise DjangoPermissionDenied(_("You hold no post: ask the county office to assign one."))
    try:
        actor.require(permission)
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message)
    return actor


def post_view(permission: str):
    """Decorate `view(request, actor, ...)`: login, an acting post holding `permission` (else
    403); NotFound escaping the view → 404, PermissionDenied → 403."""
    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            actor = acting_post(request, permission)
            try:
                return view(request, actor, *args, **kwargs)
            except NotFound:
                raise Http404(_("Not found in your area."))
            except PermissionDenied as exc:
                raise DjangoPermissionDenied(exc.message)
        wrapper.required_permission = permission   # read by the menu (core/menu.py)
        return wrapper
    return decorate
