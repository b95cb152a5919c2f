"""`safetynet department`: department logins from the command line, as the system (a thin adapter
over department_accounts.py, like the page at /verification/departments/).

    safetynet department register --username U --department CODE [--area CODE]
    safetynet department list
    safetynet department deactivate --username U

`register` makes U the login of the department (codes: `safetynet department list` prints them);
a new login is placed at --area, or, when the database holds a single county, at that county.
Issue its token with `safetynet token create U` (bound to its post) or on the page.
"""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from safetynet.core.errors import SafetyNetError


def default_area() -> str:
    """The county, when the database holds exactly one (the usual embedded set-up)."""
    from safetynet.areas.models import Area, Level

    counties = list(Area.objects.filter(level=Level.COUNTY, is_active=True).values_list("code", flat=True)[:2])
    return counties[0] if len(counties) == 1 else ""


class Command(BaseCommand):
    help = "Register, list or deactivate the logins departments upload their data snapshots with."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="verb", required=True)
        register = sub.add_parser("register", help="make a login a department's")
        register.add_argument("--username", required=True)
        register.add_argument("--department", required=True, help="department code (see `list`)")
        register.add_argument("--area", default="", help="area code of the office that manages it (default: the only county)")
        sub.add_parser("list", help="the department logins and the department codes")
        deactivate = sub.add_parser("deactivate", help="stop a login and revoke its tokens")
        deactivate.add_argument("--username", required=True)

    def handle(self, *args, verb, **options):
        from safetynet.areas.actors import system_actor

        actor = system_actor()
        try:
            getattr(self, f"_{verb}")(actor, **options)
        except SafetyNetError as error:
            raise CommandError(error.message)

    def _register(self, actor, *, username, department, area, **options):
        from safetynet.verification.department_accounts import register_department_account

        account = register_department_account(actor=actor, username=username, department=department,
                                              area_code=area or default_area())
        self.stdout.write(self.style.SUCCESS(
            _("%(u)s is now the login of the %(d)s department (%(area)s). Issue its token with: safetynet token create %(u)s")
            % {"u": account.user.get_username(), "d": account.get_department_display(),
               "area": account.post.area_id if account.post_id else "—"}))

    def _list(self, actor, **options):
        from safetynet.verification.department_accounts import accounts_in_scope
        from safetynet.verification.schemas import Department

        rows = list(accounts_in_scope(actor).order_by("department", "user__username"))
        tokens = _("Live tokens")
        for account in rows:
            state = _("active") if account.is_active else _("deactivated")
            area = account.post.area_id if account.post_id else "-"
            self.stdout.write(f"{account.user.get_username()}\t{account.department}\t{area}\t{state}\t"
                              f"{tokens}: {account.live_tokens}")
        if not rows:
            self.stdout.write(_("No department login yet."))
        self.stdout.write("")
        self.stdout.write(_("Department codes:"))
        for code, label in Department.choices:
            self.stdout.write(f"  {code}\t{label}")

    def _deactivate(self, actor, *, username, **options):
        from safetynet.verification.department_accounts import accounts_in_scope, deactivate_department_account

        account = accounts_in_scope(actor).filter(user__username=username).first()
        if account is None:
            raise CommandError(_("%(u)s is not a department login.") % {"u": username})
        deactivate_department_account(actor=actor, account_id=account.pk)
        self.stdout.write(self.style.SUCCESS(_("%(u)s is deactivated and its tokens are revoked.") % {"u": username}))
