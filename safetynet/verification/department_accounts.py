"""Department logins (issue 4, parts 1 and 5): a department sends its snapshots through the API with
a bearer token, and that token may upload its own department's datasets and nothing else
(services._check_importer).

A department login is a user of its own, never a staff member's: it holds one institution post
(a role with no permission at all), at the area of the county office that registered it, and a
`DepartmentAccount` naming its department. Giving a staff login a department would let it upload
that department's files whatever its post, so a user who holds any other post is refused. The
login has no password: it is used through tokens only, issued here bound to its post and shown
once (areas.tokens keeps only their hash).

The county office that imports department data manages these logins ("verification.import"),
each within its own area: another area's account answers 404. Every write is audited; deactivating
an account makes its user inactive and revokes every token it holds, so nothing it was given still
works.
"""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from safetynet.areas.models import ApiToken, Area, Post
from safetynet.areas.roles import Role
from safetynet.areas.tokens import issue_api_token
from safetynet.core.audit import record_event
from safetynet.core.errors import Conflict, NotFound, ValidationError
from safetynet.core.scoping import Actor, in_scope

from .models import DepartmentAccount
from .schemas import Department

MANAGE_PERMISSION = "verification.import"
DEPARTMENT_ROLE = Role.INSTITUTION


def department_of(actor: Actor) -> str | None:
    """The department whose login `actor` is, or None for everyone else (deactivated accounts too)."""
    if actor.user_id is None:
        return None
    return (DepartmentAccount.objects.filter(user_id=actor.user_id, is_active=True)
            .values_list("department", flat=True).first())


# --------------------------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------------------------

def accounts_in_scope(actor: Actor) -> QuerySet[DepartmentAccount]:
    """The department logins the actor's office manages, with their live tokens counted."""
    actor.require(MANAGE_PERMISSION)
    qs = DepartmentAccount.objects.select_related("user", "post__area").annotate(
        live_tokens=Count("user__api_tokens", filter=Q(user__api_tokens__revoked_at__isnull=True)))
    if actor.is_national:
        return qs
    return in_scope(qs, actor, "post__area")


def get_account(actor: Actor, account_id, *, for_update: bool = False) -> DepartmentAccount:
    try:
        account_id = int(account_id)
    except (TypeError, ValueError):
        raise NotFound(_("Not found."))
    actor.require(MANAGE_PERMISSION)
    qs = DepartmentAccount.objects.select_related("user", "post__area")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    if not actor.is_national:
        qs = in_scope(qs, actor, "post__area")
    account = qs.filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("Not found."))
    return account


def live_tokens(account: DepartmentAccount) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user_id=account.user_id, revoked_at__isnull=True).order_by("-created_at")


# --------------------------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------------------------

def _clean_username(username: str) -> str:
    username = (username or "").strip()
    if not username:
        raise ValidationError(_("Give the login name."), field="username")
    if len(username) > 150:
        raise ValidationError(_("At most 150 characters."), field="username")
    try:
        UnicodeUsernameValidator()(username)
    except DjangoValidationError:
        raise ValidationError(_("Letters, digits and @ . + - _ only."), field="username")
    return username


def _department_post(actor: Actor, user, department: str, area_code: str) -> Post:
    """The login's institution post in the actor's area, made at `area_code` if it has none."""
    posts = Post.objects.filter(user=user, role=DEPARTMENT_ROLE, is_active=True).select_related("area").order_by("id")
    post = next((p for p in posts if actor.covers(p.area_id)), None)
    if post is not None:
        return post
    if posts:
        raise NotFound(_("%(u)s is another area's department login.") % {"u": user.get_username()}, field="username")
    if not area_code:
        raise ValidationError(_("Say which area the department login serves."), field="area")
    actor.require_area(area_code)
    area = Area.objects.filter(code=area_code, is_active=True).first()
    if area is None:
        raise NotFound(_("No such area in your scope: %(code)s.") % {"code": area_code}, field="area")
    return Post.objects.create(user=user, role=DEPARTMENT_ROLE, area=area, title=str(Department(department).label))


@transaction.atomic(durable=True)
def register_department_account(*, actor: Actor, username: str, department: str, area_code: str = "") -> DepartmentAccount:
    """Make `username` the `department`'s login (a new user when there is none by that name), at
    `area_code` (default: the actor's area). Registering it again changes its department or
    re-activates it; its old tokens stay revoked."""
    actor.require(MANAGE_PERMISSION)
    if department not in Department.values:
        raise ValidationError(_("No such department: %(d)s.") % {"d": department}, field="department")
    username = _clean_username(username)
    area_code = (area_code or actor.area_code or "").strip()
    User = get_user_model()
    user = User.objects.select_for_update().filter(username=username).first()
    before = None
    if user is not None:
        if user.is_superuser or user.is_staff or Post.objects.filter(user=user).exclude(role=DEPARTMENT_ROLE).exists():
            raise ValidationError(_("%(u)s is a staff login: a department needs a login of its own.") % {"u": username},
                                  field="username")
        existing = DepartmentAccount.objects.filter(user=user).select_related("post").first()
        if existing is not None:
            if existing.post_id and not actor.covers(existing.post.area_id):
                raise NotFound(_("%(u)s is another area's department login.") % {"u": username}, field="username")
            before = {"department": existing.department, "active": existing.is_active}
    else:
        user = User(username=username, is_active=True)
        user.set_unusable_password()   # tokens only: no one signs in to the pages as a department
        user.save()
    post = _department_post(actor, user, department, area_code)
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    account, created = DepartmentAccount.objects.update_or_create(
        user=user, defaults={"department": department, "post": post, "is_active": True, "deactivated_at": None,
                             "deactivated_by": ""})
    if created:
        DepartmentAccount.objects.filter(pk=account.pk).update(created_by=actor.username)
        account.created_by = actor.username
    record_event(actor=actor, action="verification.register_department_account", obj=account, before=before,
                 after={"user": username, "department": department, "area": post.area_id, "post": post.pk})
    return account


@transaction.atomic(durable=True)
def deactivate_department_account(*, actor: Actor, account_id: int, reason: str = "") -> DepartmentAccount:
    """Stop a department login: its user can no longer act and every token it holds is revoked."""
    account = get_account(actor, account_id, for_update=True)
    if not account.is_active:
        raise Conflict(_("This department login is already deactivated."), code="already_deactivated")
    now = timezone.now()
    revoked = ApiToken.objects.filter(user_id=account.user_id, revoked_at__isnull=True).update(revoked_at=now)
    get_user_model().objects.filter(pk=account.user_id).update(is_active=False)
    account.is_active, account.deactivated_at, account.deactivated_by = False, now, actor.username
    account.save(update_fields=["is_active", "deactivated_at", "deactivated_by"])
    record_event(actor=actor, action="verification.deactivate_department_account", obj=account,
                 before={"active": True}, after={"active": False, "tokens_revoked": revoked, "reason": (reason or "")[:500]})
    return account


@transaction.atomic(durable=True)
def issue_department_token(*, actor: Actor, account_id: int, name: str = "") -> tuple[ApiToken, str]:
    """A new bearer token for an active department login, bound to its post. Returns the row and
    the secret, which is shown once and never stored (areas.tokens)."""
    account = get_account(actor, account_id, for_update=True)
    if not account.is_active:
        raise Conflict(_("This department login is deactivated: register it again first."), code="account_inactive")
    if account.post_id is None:
        raise Conflict(_("This department login has no post: register it again first."), code="account_without_post")
    name = (name or "").strip()[:100] or str(account.get_department_display())
    token, secret = issue_api_token(actor=actor, username=account.user.get_username(), name=name, post_id=account.post_id)
    record_event(actor=actor, action="verification.issue_department_token", obj=account,
                 after={"token": token.pk, "prefix": token.prefix, "department": account.department, "name": name})
    return token, secret


@transaction.atomic(durable=True)
def revoke_department_token(*, actor: Actor, account_id: int, token_id: int) -> ApiToken:
    account = get_account(actor, account_id)
    token = ApiToken.objects.select_for_update().filter(pk=token_id, user_id=account.user_id).first()
    if token is None:
        raise NotFound(_("Not found."))
    if token.revoked_at is not None:
        raise Conflict(_("This token is already revoked."), code="already_revoked")
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(actor=actor, action="verification.revoke_department_token", obj=account,
                 after={"token": token.pk, "prefix": token.prefix})
    return token
