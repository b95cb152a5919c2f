"""Complaints in the demo county (issue 18 part 2): a month's worth left in every state for the
demo logins, through the same services an office uses (`oversight.complaints`): received,
assigned, investigated, decided, answered, closed, one past its deadline that climbed to the
county, a bribery report handled by the county past the town, an anonymous one followed with its
token, and a review asked by a reporter who was not satisfied. Deterministic for a seed.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import random
from typing import Callable

from safetynet.areas.actors import system_actor
from safetynet.areas.models import Area, Level
from safetynet.core.scoping import Actor
from safetynet.core.workdays import add_working_days

from . import complaints as svc
from .models import Complaint

TEXTS = {
    "procedure": ["去镇民政办问低保申请，工作人员说材料不全，但没说缺什么，跑了三趟",
                  "申请已经两个月了，一直没有人来入户调查"],
    "wrongly_paid": ["村里有一户家里开着小轿车还在领低保", "某户儿子在县城有门市，家里仍享受低保"],
    "missed": ["邻居老人独居，腿脚不便，没有人管，也没有申请救助", "同村一户因病致贫，申请被拖着不办"],
    "amount": ["低保金额这几个月少了，没有人告诉为什么", "孩子上学了，低保金额没有调整"],
    "bribery": ["村干部说给他好处才帮忙把低保报上去"],
}


def _village(town: str, rnd: random.Random) -> str:
    codes = list(Area.objects.filter(parent_id=town, level=Level.VILLAGE, is_active=True).order_by("code")
                 .values_list("code", flat=True))
    return rnd.choice(codes)


def build_complaints_month(actor_by_username: Callable[[str], Actor], today: dt.date, *, seed: int = 18) -> dict:
    """Leave complaints in every state for the demo's town and county; returns the counts and the
    anonymous reporter's token (to try `/complaints/follow/`)."""
    rnd = random.Random(seed)
    worker, leader, officer = (actor_by_username(u) for u in ("town_worker", "town_leader", "county_officer"))
    town = worker.area_code

    def file(actor, channel, category, *, days_ago=0, **fields):
        received = add_working_days(today, -days_ago) if days_ago else None
        return svc.file_complaint(actor, svc.ComplaintInput(
            channel=channel, category=category, content=rnd.choice(TEXTS[category]), area_code=_village(town, rnd),
            received_on=received if channel != "public" else None, **fields))

    def walk(c, *, to: str):
        svc.assign_complaint(actor=leader, complaint_id=c.pk, assignee_id=worker.user_id)
        if to == "assigned":
            return
        svc.start_investigation(actor=worker, complaint_id=c.pk, note="已电话联系村委会了解情况")
        if to == "investigating":
            return
        svc.add_complaint_note(actor=worker, complaint_id=c.pk, note="入户核实，查阅申请材料")
        svc.decide_complaint(actor=worker, complaint_id=c.pk, finding=rnd.choice(["unsubstantiated", "partly"]),
                             result="经入户核实和查阅材料，已查明情况并督促整改")
        if to == "decided":
            return
        svc.reply_to_reporter(actor=worker, complaint_id=c.pk, answer="您反映的问题已核实，镇里已督促整改，感谢监督。")
        if to == "replied":
            return
        svc.close_complaint(actor=worker, complaint_id=c.pk)

    anonymous = file(None, "public", "missed", anonymous=True)                                   # received
    file(worker, "hotline", "amount", days_ago=1, anonymous=False, reporter_name="李桂芝", reporter_contact="13931100217")
    walk(file(worker, "hotline", "amount", days_ago=2, anonymous=False, reporter_name="张文斌",
              reporter_contact="13833102846").complaint, to="assigned")
    walk(file(worker, "letter", "procedure", days_ago=3, anonymous=True).complaint, to="investigating")
    walk(file(None, "public", "wrongly_paid", anonymous=True).complaint, to="decided")
    replied = file(None, "public", "procedure", anonymous=False, reporter_name="赵红梅", reporter_contact="15097312864")
    walk(replied.complaint, to="replied")
    walk(file(worker, "visit", "wrongly_paid", days_ago=5, anonymous=True).complaint, to="closed")
    late = file(worker, "hotline", "procedure", days_ago=8, anonymous=True).complaint               # breached
    bribery = file(None, "public", "bribery", anonymous=False, reporter_name="王建国", reporter_contact="13703317745")
    svc.assign_complaint(actor=officer, complaint_id=bribery.complaint.pk, assignee_id=officer.user_id)
    appeal = svc.appeal_complaint(token=replied.token, reason="答复没有说明具体怎么整改，请县里复查。")
    climbed = svc.escalate_breached_complaints(actor=dataclasses.replace(system_actor(), area_code=town[:6]), on=today)
    late.refresh_from_db()
    return {"complaints": Complaint.objects.filter(area__code__startswith=town[:6]).count(),
            "escalated": climbed.climbed, "late_office": late.handling_area_id, "appeal": appeal.complaint.pk,
            "sensitive": bribery.complaint.pk, "anonymous_reference": anonymous.complaint.reference,
            "anonymous_token": anonymous.token}
