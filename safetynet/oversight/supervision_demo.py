"""The demo county's register of close relatives and its inspections (issue 18 parts 3 and 5),
built after the months of office work through the services a real office uses:

- the inspectors' posts named for the bodies they speak for (the county `inspector`: 县财政局,
  `supervisor`: 县纪委监委, the town's `deputy`: 人大代表), as the county office sets a post's title;
- each demo staff member who lives in the county declares their close relative from their own post,
  all but one (the county officer's sibling or parent stays undeclared: the comparison lists it),
  and one declares a spouse the registry's kinship does not link;
- the county officer's sweep files every application and enrollment of those relatives;
- the county inspector records a finding on the demo town (on a close-relative case found later
  when there is one), which the town answered, waiting for the inspector to accept or return it;
  the supervisor records one on the county office, waiting for its answer.

Deterministic: which case a finding names is drawn with the caller's seeded `rnd`. Call once
(`build_supervision_demo(county=..., rnd=..., day=today)`); a second call adds nothing.
"""
from __future__ import annotations

import datetime as dt
import random

from safetynet.areas.actors import actor_for_post
from safetynet.areas.models import Post
from safetynet.areas.roles import Role
from safetynet.core.workdays import add_working_days
from safetynet.registry.models import Person
from safetynet.workforce import relatives as register
from safetynet.workforce.models import DeclaredRelative, StaffIdentity

from . import inspections, relatives
from .inspection_models import InspectionFinding
from .relative_models import CloseRelativeFiling

# (login, role, title): the bodies the demo's inspectors speak for.
TITLES = (("inspector", Role.INSPECTOR, "县财政局"), ("supervisor", Role.SUPERVISOR, "县纪委监委"),
          ("deputy", Role.INSPECTOR, "人大代表"))
# The staff resident whose registry relative stays undeclared (the comparison finds it).
UNDECLARED = "county_officer"
# The staff resident who also declares a spouse (not linked by the registry's kinship).
DECLARES_SPOUSE = "town_leader"


def _post(username: str, role: str, county: str) -> Post | None:
    return (Post.objects.select_related("user", "area").filter(user__username=username, role=role,
                                                               area__code__startswith=county).order_by("id").first())


def _declare_own(county: str, day: dt.date, counts: dict) -> None:
    """Each staff resident declares, from their own post, the relatives the registry links to them
    (all but `UNDECLARED`), and `DECLARES_SPOUSE` their spouse too."""
    identities = StaffIdentity.objects.filter(is_active=True, user__isnull=False, area__code__startswith=county)
    for identity in identities.select_related("user").order_by("id"):
        post = Post.objects.select_related("user", "area").filter(user_id=identity.user_id, is_active=True).exclude(
            role__in=[Role.INSPECTOR, Role.SUPERVISOR]).order_by("id").first()
        me = Person.objects.filter(id_number=identity.id_number).first()
        if post is None or me is None:
            continue
        actor = actor_for_post(post)
        wanted = [] if identity.user.username == UNDECLARED else [
            (k.relative.name, k.relative.id_number, k.relation) for k in me.kinships.select_related("relative")]
        if identity.user.username == DECLARES_SPOUSE:
            spouse = Person.objects.filter(household_id=me.household_id, relation_to_head="spouse").first()
            if spouse is not None:
                wanted.append((spouse.name, spouse.id_number, "spouse"))
        for name, number, relation in wanted:
            if DeclaredRelative.objects.filter(staff_identity=identity, id_number=number, is_active=True).exists():
                continue
            register.declare_relative(actor=actor, staff_identity_id=identity.pk, name=name, id_number=number,
                                      relation=relation, declared_on=day)
            counts["declared"] = counts.get("declared", 0) + 1


def build_supervision_demo(*, county: str, rnd: random.Random, day: dt.date) -> dict[str, int]:
    counts: dict[str, int] = {}
    for username, role, title in TITLES:
        Post.objects.filter(user__username=username, role=role, area__code__startswith=county).update(title=title)
    _declare_own(county, day, counts)
    officer = _post("county_officer", Role.COUNTY_OFFICER, county)
    if officer is not None:
        swept = relatives.sweep_close_relatives(actor=actor_for_post(officer), county_code=county, on=day)
        counts.update(filings=swept.new_filings, found_later=swept.found_later)
    if InspectionFinding.objects.filter(office__code__startswith=county).exists():
        return counts
    inspector, supervisor = _post("inspector", Role.INSPECTOR, county), _post("supervisor", Role.SUPERVISOR, county)
    town_worker = _post("town_worker", Role.TOWN_WORKER, county)
    if inspector is None or supervisor is None or town_worker is None:
        return counts
    town = town_worker.area_id
    later = list(CloseRelativeFiling.objects.filter(area__code__startswith=town, at_acceptance=False)
                 .order_by("case_id").values_list("case_id", flat=True).distinct())
    case_id = later[int(rnd.random() * len(later))] if later else None
    recorded = add_working_days(day, -8)
    finding = inspections.record_finding(
        actor=actor_for_post(inspector), office_code=town, on=recorded, case_id=case_id,
        subject="近亲属申请未按规定单独登记备案" if case_id else "低保资金发放台账不完整",
        text=("抽查发现该户系本镇工作人员近亲属，受理时未单独登记备案，县级未入户核查。请说明原因，补办备案并入户核查。"
              if case_id else "抽查本镇 10 月低保资金发放，银行回单与发放名册 3 户不一致。请核对并补齐台账。"))
    inspections.answer_finding(actor=actor_for_post(town_worker), finding_id=finding.pk, on=add_working_days(day, -2),
                               answer="已补办近亲属备案，报请县民政局入户核查；已对经办人员开展提醒谈话。" if case_id
                               else "已与银行逐笔核对，3 户因账户变更退回后重发，台账已补齐。")
    inspections.record_finding(
        actor=actor_for_post(supervisor), office_code=county, on=add_working_days(day, -3),
        subject="特困供养人员照料等级评估超期",
        text="部分特困人员报告自理能力变化后超过 10 个工作日未重新评估照料等级，请逐户核查并整改。")
    counts["findings"] = 2
    return counts
