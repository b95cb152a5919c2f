"""Roles (DESIGN.md §1) and what each may do. The one table every permission check reads."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GRID_WORKER = "grid_worker", _("grid worker")
    VILLAGE_CADRE = "village_cadre", _("village cadre")
    TOWN_WORKER = "town_worker", _("town worker")
    TOWN_LEADER = "town_leader", _("town leader")
    COUNTY_OFFICER = "county_officer", _("county officer")
    COUNTY_LEADER = "county_leader", _("county leader")
    INSPECTOR = "inspector", _("inspector")
    SUPERVISOR = "supervisor", _("supervision inspector")
    PROVIDER_WORKER = "provider_worker", _("provider worker")
    INSTITUTION = "institution", _("institution")
    SUPERUSER = "superuser", _("system administrator")


PERMISSION_LABELS = {
    "areas.view": _("view the network"),
    "areas.import": _("import division codes"),
    "areas.edit": _("edit areas"),
    "posts.manage": _("manage staff posts"),
    "registry.view": _("view households"),
    "registry.edit": _("create or edit households"),
    "registry.import": _("import household rosters"),
    "registry.view_id_number": _("see whole ID numbers"),
    "calendar.edit": _("edit the working-day calendar"),
    "audit.view": _("read the audit ledger"),
    "workforce.manage": _("register staff and village committee members"),
    "cases.view": _("view cases"),
    "cases.apply": _("file applications"),
    "cases.accept": _("accept applications"),
    "cases.return": _("return cases for supplement"),
    "cases.withdraw": _("record withdrawals"),
    "cases.survey": _("record household surveys"),
    "cases.verify_manual": _("enter verification reports by hand"),
    "cases.deliberate": _("record deliberation meetings"),
    "cases.town_opinion": _("give the town opinion"),
    "cases.notice": _("publish and close public notices"),
    "cases.confirm": _("confirm or refuse cases"),
    "cases.reopen": _("reopen decided cases"),
    "cases.extend": _("extend case time limits"),
    "cases.temporary_town": _("pay emergency aid and decide quick aid"),
    "cases.temporary_approve": _("approve temporary assistance"),
    "programs.view": _("view program standards"),
    "programs.edit": _("set program standards"),
    "verification.view": _("view verification reports"),
    "verification.import": _("import department data"),
    "verification.run": _("run economic status verifications"),
    "payments.view": _("view enrollments and payroll runs"),
    "payments.generate": _("generate and export payroll runs"),
    "payments.approve": _("approve payroll runs"),
    "payments.report_change": _("record household change reports"),
    "payments.recheck": _("work the re-check queue"),
    "payments.decide": _("decide changes, suspensions and exits of enrollments"),
    "payments.confirm_proposal": _("confirm or reject automatic changes"),
    "payments.triggers": _("run the department-data triggers"),
    "payments.settle_overpayment": _("record overpayments recovered or waived"),
    "payments.simulate": _("simulate a change of standard or limit"),
    "payments.reassess_standard": _("re-assess a county's enrollments after a standard change"),
    "discovery.view": _("view leads, warnings and referrals"),
    "discovery.report": _("report people in need"),
    "discovery.work": _("acknowledge, visit, route and close leads; take people at the window; refer"),
    "discovery.rules": _("edit warning rules, run warnings and edit the referral catalogue"),
    "oversight.view": _("view complaints, spot checks, anomaly reports and inspection findings"),
    "oversight.take": _("take complaints from the hotline, letters and visits"),
    "oversight.handle": _("assign, investigate, decide and answer complaints"),
    "oversight.reporter_identity": _("see who filed a complaint"),
    "oversight.spot_check": _("run spot-check campaigns and record their re-visits"),
    "oversight.anomalies": _("run anomaly reports and record what each finding was"),
    "oversight.relatives": _("keep the close-relative register"),
    "oversight.inspect": _("record inspection findings"),
    "oversight.rectify": _("answer inspection findings"),
    "oversight.export": _("export what the post sees"),
    "workforce.view": _("view the staff register, training and workload"),
    "workforce.overview": _("see the county overview of staffing, training, subsidies and budgets"),
    "workforce.training": _("record training courses, sessions, attendance and mentoring"),
    "workload.assign": _("assign open work to a named worker"),
    "workload.reassign": _("re-assign work from one worker to another"),
    "workload.lend": _("lend a town's work to a purchased service"),
    "funding.view": _("view work subsidies and budgets"),
    "funding.subsidies": _("generate and pay the monthly work subsidies"),
    "funding.budget": _("set budget lines"),
    "funding.approve_overrun": _("approve spending past a budget line"),
    "services.view": _("view providers, contracts and their work"),
    "services.manage": _("register providers, sign contracts and assign work to them"),
    "services.accept": _("accept or reject a provider's tasks"),
    "medical.view": _("view medical assistance: ledgers, settlements, institutions and statements"),
    "medical.certify": _("certify a person for a medical assistance category"),
    "medical.categories": _("edit the medical assistance categories and their terms"),
    "medical.institutions": _("register designated institutions and issue, rotate and revoke their keys"),
    "medical.statements": _("generate and reconcile institutions' monthly statements and pay them"),
    "medical.approve_payment": _("approve the payment of institutions' statements"),
    "medical.reimburse": _("decide manual medical reimbursements"),
    "projects.view": _("view service projects"),
    "projects.manage": _("design, approve, fund and follow service projects"),
    "projects.evaluate": _("score service projects on an evaluation panel"),
}

_READ = {"areas.view", "registry.view", "programs.view"}
# Cases (issue 3), by DESIGN.md §1: the village helps apply, takes part in deliberation and
# posts notices; the town accepts, surveys, gives its opinion, notices and decides temporary aid
# up to its limit; the county verifies by hand, confirms and reopens; the town leader confirms
# only where the county delegated it (a guard in cases.workflow checks the parameter); the
# county leader approves large cases; inspectors read.
_CASES_VILLAGE = {"cases.view", "cases.apply", "cases.deliberate", "cases.notice"}
_CASES_TOWN = {"cases.view", "cases.apply", "cases.accept", "cases.return", "cases.withdraw", "cases.survey",
               "cases.deliberate", "cases.town_opinion", "cases.notice", "cases.extend", "cases.temporary_town",
               "cases.temporary_approve", "workforce.manage"}
_CASES_TOWN_LEADER = {"cases.view", "cases.town_opinion", "cases.confirm", "cases.temporary_town", "cases.temporary_approve"}
_CASES_COUNTY = {"cases.view", "cases.return", "cases.survey", "cases.verify_manual", "cases.confirm", "cases.reopen",
                 "cases.extend", "cases.temporary_approve", "workforce.manage"}
_CASES_COUNTY_LEADER = {"cases.view", "cases.confirm", "cases.temporary_approve"}
# Verification (issue 4): the county imports department data and runs verifications (POLICY.md §5);
# the town reads the reports of its cases; leaders and inspectors read.
_VERIFICATION_COUNTY = {"verification.view", "verification.import", "verification.run"}
# Payments (issue 5): the county officer generates, exports and reconciles (the maker); the
# county leader approves (the checker, a different person); the town reads its own town. The
# county's officer and leader may simulate a change of standard or limit over their county.
_PAYMENTS_VIEW = {"payments.view"}
_PAYMENTS_SIMULATE = {"payments.simulate"}
# Changes and exits (issue 5 part 3): villages and towns report changes; the town works the
# re-check queue and confirms automatic proposals; deciding on an enrollment is for those who
# confirm cases (the county, the town leader where delegated); the county runs the triggers and
# records overpayments recovered or waived (a waiver names the county leader who decided it),
# and re-assesses the county's enrollments after it changed a standard (restandard.py).
_CHANGES_VILLAGE = {"payments.report_change"}
_CHANGES_TOWN = {"payments.report_change", "payments.recheck", "payments.confirm_proposal"}
_CHANGES_TOWN_LEADER = {"payments.confirm_proposal", "payments.decide"}
_CHANGES_COUNTY = {"payments.report_change", "payments.recheck", "payments.confirm_proposal", "payments.decide",
                   "payments.triggers", "payments.settle_overpayment", "payments.reassess_standard"}
# Active discovery (issue 17, POLICY.md §6): grid workers and villages report from the field;
# the town acknowledges, visits, takes people at its window and routes them (its leader too, as
# overdue leads climb to him); the county sets the warning rules and the referral catalogue, runs
# the warnings, and works leads that climbed to it; inspectors read.
_DISCOVERY_FIELD = {"discovery.view", "discovery.report"}
_DISCOVERY_TOWN = {"discovery.view", "discovery.report", "discovery.work"}
_DISCOVERY_COUNTY = {"discovery.view", "discovery.work", "discovery.rules"}
# Transparency and supervision (issue 18, POLICY.md §1, §7): the town takes and handles the
# complaints about it (sensitive ones go past it, to the county), keeps its staff's close
# relatives and answers the findings made on it; the county runs spot checks and anomaly reports
# and handles what climbs to it. Inspectors (finance, audit, people's deputies) and the
# supervision inspector read everything in their scope, export it and record findings, and
# write nothing else; only the supervision inspector sees who filed a complaint
# (`oversight.complaints.may_see_reporter`: at a county or above).
_OVERSIGHT_TOWN = {"oversight.view", "oversight.take", "oversight.handle", "oversight.relatives", "oversight.rectify"}
_OVERSIGHT_COUNTY = _OVERSIGHT_TOWN | {"oversight.spot_check", "oversight.anomalies", "oversight.export"}
_INSPECT = {"oversight.view", "oversight.inspect", "oversight.export", "audit.view", "cases.view", "verification.view",
            "discovery.view", "payments.view"}
# Workforce, funding and purchased services (issue 19): the town keeps its staff and training,
# assigns its work and reads its subsidies and budget; the town leader re-assigns; the county
# does all that for the county, sets budgets, generates the subsidies, keeps providers,
# contracts and projects, and lends an overloaded town's work to a provider; the county leader
# approves spending past a budget line and sits on evaluation panels; the inspectors read
# everything and write nothing (issue 18). The county overview is for the posts of a county or
# above (the county's officer and leader, the supervision inspector; an inspector may sit at a town).
_WORKFORCE_READ = {"workforce.view", "funding.view", "services.view", "projects.view"}
_WORKFORCE_TOWN = _WORKFORCE_READ | {"workforce.training", "workload.assign"}
_WORKFORCE_TOWN_LEADER = _WORKFORCE_READ | {"workload.assign", "workload.reassign"}
_WORKFORCE_COUNTY = _WORKFORCE_READ | {"workforce.overview", "workforce.training", "workload.assign", "workload.reassign", "workload.lend",
                                       "funding.subsidies", "funding.budget", "services.manage", "services.accept",
                                       "projects.manage", "projects.evaluate"}
_WORKFORCE_COUNTY_LEADER = _WORKFORCE_READ | {"workforce.overview", "workload.reassign", "funding.approve_overrun", "projects.evaluate"}
# Medical assistance (issue 20): the town reads its people's ledgers and certifies them for a
# category (returned to poverty, impoverished by illness); the county keeps the categories and
# their terms, the designated institutions and their keys, generates and reconciles the
# statements and decides manual reimbursements; the county leader approves a statement's payment
# (maker-checker); inspectors read. A designated institution's cashier system has no post: it
# authenticates with its institution's key (`medical/keys.py`).
_MEDICAL_READ = {"medical.view"}
_MEDICAL_TOWN = _MEDICAL_READ | {"medical.certify"}
_MEDICAL_COUNTY = _MEDICAL_READ | {"medical.certify", "medical.categories", "medical.institutions", "medical.statements",
                                   "medical.reimburse"}
_MEDICAL_COUNTY_LEADER = _MEDICAL_READ | {"medical.approve_payment", "medical.reimburse"}
ROLE_PERMISSIONS: dict[str, frozenset] = {
    Role.GRID_WORKER: frozenset(_READ | _DISCOVERY_FIELD),
    Role.VILLAGE_CADRE: frozenset(_READ | _CASES_VILLAGE | _CHANGES_VILLAGE | _DISCOVERY_FIELD),
    Role.TOWN_WORKER: frozenset(_READ | {"registry.edit", "registry.import", "registry.view_id_number", "verification.view"}
                                | _CASES_TOWN | _PAYMENTS_VIEW | _CHANGES_TOWN | _DISCOVERY_TOWN | _OVERSIGHT_TOWN
                                | _WORKFORCE_TOWN | _MEDICAL_TOWN),
    Role.TOWN_LEADER: frozenset(_READ | {"registry.view_id_number", "verification.view"} | _CASES_TOWN_LEADER | _PAYMENTS_VIEW
                                | _CHANGES_TOWN_LEADER | _DISCOVERY_TOWN | {"oversight.view", "oversight.handle",
                                                                             "oversight.rectify"}
                                | _WORKFORCE_TOWN_LEADER | _MEDICAL_READ),
    Role.COUNTY_OFFICER: frozenset(_READ | {"registry.edit", "registry.import", "registry.view_id_number",
                                            "areas.import", "areas.edit", "posts.manage", "calendar.edit", "audit.view",
                                            "programs.edit"}
                                   | _CASES_COUNTY | _VERIFICATION_COUNTY | _PAYMENTS_VIEW | {"payments.generate"}
                                   | _CHANGES_COUNTY | _PAYMENTS_SIMULATE | _DISCOVERY_COUNTY | _OVERSIGHT_COUNTY
                                   | _WORKFORCE_COUNTY | _MEDICAL_COUNTY),
    Role.COUNTY_LEADER: frozenset(_READ | {"registry.view_id_number", "audit.view", "verification.view"} | _CASES_COUNTY_LEADER
                                  | _PAYMENTS_VIEW | {"payments.approve", "payments.decide"}
                                  | _PAYMENTS_SIMULATE | {"discovery.view", "oversight.view", "oversight.handle",
                                                         "oversight.rectify", "oversight.export"}
                                  | _WORKFORCE_COUNTY_LEADER | _MEDICAL_COUNTY_LEADER),
    Role.INSPECTOR: frozenset(_READ | _INSPECT | _WORKFORCE_READ | _MEDICAL_READ),
    Role.SUPERVISOR: frozenset(_READ | _INSPECT | _WORKFORCE_READ | _MEDICAL_READ | {"workforce.overview", "oversight.reporter_identity"}),
    # A purchased service's worker (issue 19) surveys, visits and re-checks what was assigned to
    # it by name, and sees nothing else (ASSIGNED_ONLY_ROLES).
    Role.PROVIDER_WORKER: frozenset({"programs.view", "registry.view", "cases.view", "cases.survey", "discovery.view",
                                     "discovery.work", "payments.view", "payments.recheck"}),
    # Department logins hold this post too (verification/department_accounts.py): it must hold no
    # permission, so that a department's token uploads its datasets and reads nothing.
    Role.INSTITUTION: frozenset(),
    Role.SUPERUSER: frozenset(PERMISSION_LABELS),
}


# Roles whose posts see only the work assigned to them by name, within their area
# (core.scoping.in_scope narrows them through workload.scope.assigned_work).
ASSIGNED_ONLY_ROLES = frozenset({Role.PROVIDER_WORKER})


# The level each role's posts are held at (DESIGN.md §1), so that a step's acting level
# (cases.workflow: village, town, county) can be named as the posts that take it.
ROLE_LEVELS = {
    Role.GRID_WORKER: "village", Role.VILLAGE_CADRE: "village", Role.TOWN_WORKER: "town", Role.TOWN_LEADER: "town",
    Role.COUNTY_OFFICER: "county", Role.COUNTY_LEADER: "county", Role.INSPECTOR: "county",
    Role.SUPERVISOR: "county",
}


def role_label(role: str) -> str:
    try:
        return str(Role(role).label)
    except ValueError:
        return role


def permission_label(permission: str) -> str:
    return str(PERMISSION_LABELS.get(permission, permission))
