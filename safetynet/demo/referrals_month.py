"""A month of the town's one door and its referrals in the demo county (issue 17 part 3).

The county officer keeps the referral catalogue (正定县's departments and organisations); at the
town worker's window, walk-ins and phone calls are taken once and routed at once: applications in
SafetyNet's programs, referrals to the catalogue's agencies (answered in time, late, or not at all:
those show as overdue), and requests recorded and closed (information given, not in need). Every
write goes through the services the pages call (`discovery.referral_services`), never a raw insert.
"""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Callable

from safetynet.areas.actors import actor_for_post
from safetynet.areas.models import Area, Level, Post
from safetynet.core.errors import SafetyNetError
from safetynet.core.workdays import is_working_day
from safetynet.discovery import referral_services as referrals
from safetynet.discovery.models import Referral, ReferralStatus
from safetynet.registry.models import Household

# 正定县's referral catalogue: (kind, name, contact person, phone, address, working days to answer).
CATALOGUE = (
    ("education", "县教育局学生资助管理中心", "刘秀梅", "0311-88021362", "正定县常山西路12号", 10),
    ("housing", "县住房和城乡建设局村镇建设股", "张建军", "0311-88022815", "正定县中山西路35号", 15),
    ("employment", "县人社局公共就业服务中心", "王立新", "0311-88027730", "正定县燕赵南大街人力资源市场", 5),
    ("disaster", "县应急管理局救灾和物资保障股", "赵国强", "0311-88029106", "正定县恒州南街8号", 3),
    ("disability", "县残疾人联合会", "孙丽娟", "0311-88023412", "正定县育才街16号", 10),
    ("trade_union", "县总工会困难职工帮扶中心", "李海燕", "0311-88024588", "正定县解放街22号", 10),
    ("charity", "县慈善总会", "周文华", "0311-88026651", "正定县常胜街5号", 10),
    ("medical", "县医疗保障局医疗救助股", "吴晓东", "0311-88025177", "正定县阳和路9号", 7),
    ("other", "县妇女联合会", "郑春花", "0311-88028843", "正定县府前街3号", 10),
    ("charity", "县红十字会", "冯建华", "0311-88020927", "正定县常山东路18号", 10),
)
# What people say at the window, by what happened, and the kinds of agency it goes to.
NEEDS = {
    "illness": (["住院自付费用高，想问医疗救助怎么申请", "慢性病长期吃药，家里负担重"], ["medical", "charity"]),
    "disability": (["孩子肢体残疾，想办残疾人两项补贴", "老人视力残疾，需要辅具"], ["disability"]),
    "job_loss": (["工厂停产后失业三个月，想找工作", "下岗后没有收入，想参加技能培训"], ["employment", "trade_union"]),
    "disaster": (["暴雨后房屋漏水，墙体开裂", "冰雹砸坏了大棚，今年没有收成"], ["disaster", "housing"]),
    "no_support": (["独居老人，子女在外地，生活没人照顾", "孩子上学的学费和生活费凑不齐"], ["education", "charity", "other"]),
    "earner_death": (["丈夫去年去世，两个孩子上学", "家里顶梁柱病故，欠了外债"], ["education", "charity"]),
    "accident": (["干活摔伤了腰，半年不能干重活", "车祸受伤，医药费还差一部分"], ["medical", "charity"]),
}
STRANGERS = ("韩秀英", "曹志刚", "彭桂兰", "蒋振华", "田玉梅", "魏长青", "薛红霞", "石建平", "崔凤琴", "邓国庆")
ANSWER_NOTES = {"helped": "已办理，家庭已收到帮助", "in_progress": "已受理，正在核实", "declined": "不符合本部门救助条件",
                "not_theirs": "不属于本部门职责，建议转民政"}


def _actor(username: str):
    post = Post.objects.filter(user__username=username, is_active=True).select_related("user", "area").order_by("id").first()
    return actor_for_post(post)


def build_referrals_month(*, county: str, rnd: random.Random, day: dt.date, at: Callable[[dt.date], None]) -> dict:
    """The month from `day` (30 calendar days; the business date is left on its last day): the
    catalogue, then each working day's walk-ins and calls at the town worker's window, routed, and
    the agencies' answers as they come. Returns the counts."""
    officer, worker = _actor("county_officer"), _actor("town_worker")
    counts = Counter()
    at(day)
    existing = set(referrals.agencies_for(officer).values_list("name", flat=True))
    for kind, name, contact, phone, address, days in CATALOGUE:
        if name not in existing:
            referrals.save_agency(actor=officer, kind=kind, name=name, contact_person=contact, phone=phone,
                                  address=address, answer_days=days, county_code=county)
            counts["agencies"] += 1
    agencies: dict[str, list[int]] = {}
    for agency in referrals.agencies_for(worker, active_only=True):
        agencies.setdefault(agency.kind, []).append(agency.pk)
    town = worker.area_code
    households = list(Household.objects.filter(area__code__startswith=town, head__isnull=False)
                      .order_by("id").values_list("id", "head_id")[:400])
    rnd.shuffle(households)
    villages = list(Area.objects.filter(code__startswith=town, level=Level.VILLAGE, is_active=True)
                    .order_by("code").values_list("code", flat=True))
    strangers = list(STRANGERS)
    rnd.shuffle(strangers)
    kept: list[tuple[int, int]] = []
    last = day + dt.timedelta(days=29)
    current = day
    while current <= last:
        if is_working_day(current):
            at(current)
            for _ in range(rnd.choice((1, 1, 2, 2, 3, 3))):
                _take_one(worker, rnd, households, villages, strangers, agencies, counts, kept)
            _answers(worker, rnd, current, counts)
        current += dt.timedelta(days=1)
    at(last)
    waiting = Referral.objects.filter(area__code__startswith=town, status=ReferralStatus.SENT)
    counts["overdue"] = waiting.filter(due_on__lt=last).count()
    return dict(counts)


def _take_one(worker, rnd, households, villages, strangers, agencies, counts, kept) -> None:
    cause = rnd.choice(list(NEEDS))
    words, kinds = NEEDS[cause]
    source = "phone" if rnd.random() < 0.35 else "walk_in"
    registered = households and (rnd.random() < 0.75 or not strangers or not villages)
    intake = referrals.WindowIntake(source=source, cause=cause, need=rnd.choice(words), route="close")
    if kept and rnd.random() < 0.5:
        # Someone whose lead stayed open comes back (or calls): the window joins that lead.
        household_id, head_id = kept.pop()
        intake.household_id, registered = household_id, True
    elif registered:
        household_id, head_id = households.pop()
        intake.household_id = household_id
    else:
        intake.name = strangers.pop()
        intake.area_code = rnd.choice(villages)
        intake.address = f"{rnd.choice(('东街', '西街', '南街', '北街', '中心街'))}{rnd.randint(1, 80)}号"
        intake.phone = f"139{rnd.randint(10000000, 99999999)}"
    roll = rnd.random()
    if registered and roll < 0.25:
        intake.route, intake.program_code, intake.applicant_id = "apply", "dibao", head_id
        intake.need = "家庭收入低，" + intake.need
    elif roll < 0.75:
        chosen = [rnd.choice(agencies[k]) for k in rnd.sample(kinds, k=min(len(kinds), rnd.choice((1, 1, 2))))
                  if agencies.get(k)]
        intake.route, intake.agency_ids = "refer", chosen
    else:
        intake.close_reason = rnd.choice(("other", "not_in_need", "helped_otherwise"))
        intake.close_note = rnd.choice(("已告知相关政策和办理渠道", "咨询后表示暂不需要", "已享受相关救助"))
    try:
        result = referrals.take_at_window(worker, intake)
    except SafetyNetError as error:
        # Refused (an open application already, the same kind already referred): the window says
        # so; a lead it opened stays open, and the person comes back to it.
        counts["refused"] += 1
        if error.details.get("lead") and registered:
            kept.append((household_id, head_id))
        return
    counts[f"window_{source}"] += 1
    counts[f"routed_{intake.route}"] += 1
    counts["referrals"] += len(result.referrals)
    counts["joined"] += int(result.joined)


def _fate(referral_id: int) -> float:
    """Each referral's fate, fixed by its id: under 0.3 never answered, under 0.45 answered late."""
    return random.Random(f"referral:{referral_id}").random()


def _answers(worker, rnd, today: dt.date, counts) -> None:
    """The agencies' answers arriving today: most before the due day, some late, some never."""
    waiting = Referral.objects.filter(area__code__startswith=worker.area_code, status=ReferralStatus.SENT,
                                      sent_on__lt=today).order_by("id")
    for referral in waiting:
        fate = _fate(referral.pk)
        if fate < 0.3:
            continue                                             # never answered this month: overdue
        if fate < 0.45 and today <= referral.due_on:
            continue                                             # answers late
        if rnd.random() > 0.3:
            continue
        answer = rnd.choices(("helped", "in_progress", "declined", "not_theirs"), weights=(5, 3, 2, 1))[0]
        try:
            referrals.record_referral_answer(actor=worker, referral_id=referral.pk, answer=answer, note=ANSWER_NOTES[answer])
        except SafetyNetError:
            continue
        counts[f"answered_{answer}"] += 1
    if rnd.random() < 0.08:
        stale = list(Referral.objects.filter(area__code__startswith=worker.area_code, status=ReferralStatus.SENT)
                     .order_by("id").values_list("id", flat=True))
        stale = [pk for pk in stale if _fate(pk) >= 0.3]
        if stale:
            referrals.withdraw_referral(actor=worker, referral_id=rnd.choice(stale), reason="家庭情况好转，本人表示不再需要")
            counts["withdrawn"] += 1
