"""A month of active discovery in the demo county (issue 17): grid workers report, towns act, the
daily escalation climbs what was left.

Over the last month's working days: grid workers (a login for each grid that reports, like the
staff register's grid workers) file reports through `discovery.services.file_grid_report` —
registered households of their grid and some people not registered, a few reported twice (the
second joins the open lead), a few with a photo and a position; each town's worker acknowledges,
visits, closes some with a reason, files applications from some (`apply_from_lead`), merges the
odd duplicate and links a household found in the registry; some towns are slower and a few leads
are left alone, so the daily escalation (`discovery.escalation.escalate_every_county`, run each
demo day as the `escalate_leads` job runs) climbs some to the town leader and a few to the county.

Times: the services stamp a lead's steps with `timezone.now()`; the demo moves that clock with the
business date (a time of day on the demo day), as it moves `cases.clocks.today` through `at`, so
the dashboard's response times are those of the month told here.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import uuid
from collections import Counter
from contextlib import contextmanager
from typing import Callable
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from safetynet.areas.actors import actor_for_post
from safetynet.areas.models import Area, Level, Post
from safetynet.areas.roles import Role
from safetynet.core import workdays
from safetynet.core.errors import SafetyNetError
from safetynet.discovery import services
from safetynet.discovery.escalation import escalate_every_county
from safetynet.discovery.models import OPEN_STATUSES, Lead
from safetynet.registry.models import Household, Person

from .names import name_pool

SHANGHAI = ZoneInfo("Asia/Shanghai")

CAUSES = (("illness", 30), ("accident", 10), ("disability", 12), ("job_loss", 12), ("earner_death", 6),
          ("disaster", 4), ("no_support", 16), ("other", 10))
NOTES = {
    "illness": ("户主查出肺癌，正在石家庄住院化疗，家里没有收入。", "老人中风后卧床，子女在外打工无人照顾。",
                "孩子白血病，已花光积蓄。"),
    "accident": ("在工地摔伤腿，三个月干不了活。", "骑电动车出车祸，住院十多天。"),
    "disability": ("儿子新评定为一级肢体残疾。", "老人双目失明，独自生活。"),
    "job_loss": ("厂子倒闭后失业，半年没找到工作。", "夫妻二人都被辞退，靠借钱度日。"),
    "earner_death": ("丈夫上月去世，留下两个上学的孩子。", "家里唯一的劳动力因病去世。"),
    "disaster": ("暴雨冲塌了房屋，暂住在亲戚家。", "房屋失火，家中物品全部烧毁。"),
    "no_support": ("八十多岁独居老人，无儿无女。", "老两口无子女，靠种一亩地生活。"),
    "other": ("家中老人说生活困难，希望有人来看看。", "邻居反映这户人家很久没有开火做饭。"),
}
REASONS = (("not_in_need", 5), ("helped_otherwise", 3), ("declined", 1), ("moved_away", 1), ("not_found", 1))


def _pick(rnd: random.Random, weighted) -> str:
    values, weights = zip(*weighted)
    return rnd.choices(values, weights=weights)[0]


def _photo(rnd: random.Random) -> bytes:
    """A small photo as a phone sends one (a coloured square: the demo has no camera)."""
    from PIL import Image   # Pillow (WeasyPrint's): only when the demo makes a photo

    buffer = io.BytesIO()
    colour = tuple(rnd.randint(60, 200) for _ in range(3))
    Image.new("RGB", (160, 120), colour).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


@contextmanager
def _service_clock(now: list):
    """The services' `now` follows the demo's time of day (`now[0]`) while the month is told."""
    real = services.now
    services.now = lambda: now[0]
    try:
        yield
    finally:
        services.now = real


def build_leads_month(*, county: str, rnd: random.Random, day: dt.date, at: Callable[[dt.date], None]) -> dict:
    """A month of reports and leads up to `day` (the demo's today), through the discovery
    services; returns what it made and did, counted."""
    month = _Month(county=county, rnd=rnd, at=at)
    start = day - dt.timedelta(days=30)
    days = [start + dt.timedelta(days=n) for n in range(31)]
    with _service_clock(month.now):
        for d in days:
            if not workdays.is_working_day(d):
                continue
            month.escalate(d)
            month.work(d)
            month.report(d, last=d == day)
        at(day)
    month.counts.update(month.final(day))
    return dict(month.counts)


class _Month:
    def __init__(self, *, county: str, rnd: random.Random, at: Callable[[dt.date], None]):
        self.county, self.rnd, self.at = county, rnd, at
        self.now = [dt.datetime.now(SHANGHAI)]
        self.counts: Counter = Counter()
        self.names = name_pool()
        self.plans: dict[int, dict] = {}
        self.towns = list(Area.objects.filter(code__startswith=county, level=Level.TOWN).order_by("code")
                          .values_list("code", flat=True))
        self.town_workers = {town: self._town_worker(town) for town in self.towns}
        self.officer = self._first_post("county_officer", county)
        # The demo logins' towns get more of the month (someone logging in as them sees a queue).
        self.login_towns = set(Post.objects.filter(user__username__in=("town_worker", "town_leader", "town_worker2"),
                                                   area_id__in=self.towns).values_list("area_id", flat=True))
        # Each town its own pace: a couple of slow ones, whose leads climb.
        self.pace = {town: self.rnd.choice((0.7, 0.8, 0.9, 1.0, 1.0, 1.2, 1.8)) for town in self.towns}
        demo_grid = Post.objects.filter(user__username="grid_worker", role=Role.GRID_WORKER, is_active=True) \
            .values_list("area_id", flat=True).first()
        households = Household.objects.filter(area__code__startswith=county, area__level=Level.GRID, head__isnull=False)
        self.by_grid: dict[str, list[int]] = {}
        for household_id, grid in households.order_by("id").values_list("id", "area_id"):
            self.by_grid.setdefault(grid, []).append(household_id)
        # The grids that report this month: a few per town, the demo login's grid among them.
        self.grids: dict[str, list[str]] = {}
        for town in self.towns:
            grids = sorted(g for g in self.by_grid if g.startswith(town))
            self.rnd.shuffle(grids)
            self.grids[town] = grids[:6]
        self.demo_grid = demo_grid if demo_grid in self.by_grid else None
        if self.demo_grid and self.demo_grid not in self.grids.get(self.demo_grid[:9], []):
            self.grids.setdefault(self.demo_grid[:9], []).insert(0, self.demo_grid)
        self.reporters: dict[str, object] = {}

    # ---- the people ------------------------------------------------------------------------
    def _first_post(self, username: str, area: str):
        post = Post.objects.filter(user__username=username, area_id=area, is_active=True).select_related("user", "area") \
            .order_by("id").first()
        return actor_for_post(post) if post else None

    def _town_worker(self, town: str):
        """The town's worker: a demo login of the town, or `worker_<town>` as the staff register
        makes them (made here when the month is told first)."""
        post = Post.objects.filter(role=Role.TOWN_WORKER, area_id=town, is_active=True).select_related("user", "area") \
            .order_by("id").first()
        if post is None:
            post = Post.objects.get_or_create(user=self._login(f"worker_{town}"), role=Role.TOWN_WORKER, area_id=town)[0]
        return actor_for_post(post)

    def _login(self, username: str):
        User = get_user_model()
        model = User.objects.filter(username="town_worker").first()
        sex = "male" if self.rnd.random() < 0.5 else "female"
        return User.objects.get_or_create(username=username, defaults={
            "first_name": self.names.given_name(self.rnd, sex, self.rnd.randint(1970, 1998)),
            "last_name": self.names.surname(self.rnd), "password": model.password if model else "!"})[0]

    def _reporter(self, grid: str):
        """The grid's worker: the demo login on its grid, a `grid_<code>` login elsewhere."""
        if grid not in self.reporters:
            post = Post.objects.filter(role=Role.GRID_WORKER, area_id=grid, is_active=True).select_related("user", "area") \
                .order_by("id").first()
            if post is None:
                post = Post.objects.get_or_create(user=self._login(f"grid_{grid}"), role=Role.GRID_WORKER, area_id=grid)[0]
                self.counts["grid_logins"] += 1
            self.reporters[grid] = actor_for_post(post)
        return self.reporters[grid]

    def _moment(self, d: dt.date, hour: float) -> None:
        self.at(d)
        self.now[0] = dt.datetime.combine(d, dt.time(0), SHANGHAI) + dt.timedelta(hours=hour)

    # ---- each day --------------------------------------------------------------------------
    def escalate(self, d: dt.date) -> None:
        self._moment(d, 7.0)
        for result in escalate_every_county(area=self.county, on=d).values():
            self.counts["escalated_to_town_leader"] += result.to_town_leader
            self.counts["escalated_to_county"] += result.to_county

    def report(self, d: dt.date, *, last: bool) -> None:
        """Two to five reports a working day across the county (fewer on the last, still going)."""
        for _ in range(self.rnd.randint(1, 2) if last else self.rnd.randint(2, 5)):
            town = self.rnd.choices(self.towns, weights=[3 if t in self.login_towns else 1 for t in self.towns])[0]
            if self.demo_grid and self.rnd.random() < 0.12:
                grid = self.demo_grid
            elif self.grids.get(town):
                grid = self.rnd.choice(self.grids[town])
            else:
                continue
            self._moment(d, self.rnd.uniform(8, 18))
            self._file(grid)

    def _file(self, grid: str) -> None:
        rnd = self.rnd
        actor = self._reporter(grid)
        cause = _pick(rnd, CAUSES)
        fields = {"key": uuid.uuid4(), "cause": cause, "note": rnd.choice(NOTES[cause]),
                  "urgency": _pick(rnd, (("urgent", 2), ("soon", 4), ("normal", 6))),
                  "written_at": self.now[0] - dt.timedelta(minutes=rnd.randint(1, 90))}
        kind = rnd.random()
        open_households = set(Lead.objects.filter(status__in=OPEN_STATUSES, area_id=grid, household__isnull=False)
                              .values_list("household_id", flat=True))
        if kind < 0.08 and open_households:
            fields["household_id"] = rnd.choice(sorted(open_households))        # reported again: joins
        elif kind < 0.72:
            fields["household_id"] = rnd.choice(self.by_grid[grid])
        elif kind < 0.80:
            # A registered person reported by name: the town finds and links the household.
            household_id = rnd.choice(self.by_grid[grid])
            person = Person.objects.filter(household_id=household_id, is_deceased=False).order_by("id").first()
            fields.update(name=person.name, address=Household.objects.get(pk=household_id).address, area_code=grid)
            fields["_link"] = household_id
        else:
            sex = "male" if rnd.random() < 0.5 else "female"
            age = rnd.randint(25, 88)
            fields.update(name=self.names.surname(rnd) + self.names.given_name(rnd, sex, 2026 - age), approximate_age=age,
                          address=f"{Area.objects.get(code=grid).name}附近，{rnd.choice(('村东', '村西', '桥头', '老街'))}"
                                  f"{rnd.randint(1, 60)}号", area_code=grid)
        if rnd.random() < 0.5:
            fields.update(latitude=f"{38.10 + rnd.random() * 0.12:.6f}", longitude=f"{114.48 + rnd.random() * 0.18:.6f}")
        if rnd.random() < 0.12:
            fields["photo"] = _photo(rnd)
        link = fields.pop("_link", None)
        try:
            result = services.file_grid_report(actor, **fields)
        except SafetyNetError:
            self.counts["reports_refused"] += 1
            return
        self.counts["reports"] += 1
        self.counts["photos"] += int(bool(result.report.photo))
        lead = result.report.lead
        if result.joined:
            self.counts["reports_joined"] += 1
        if lead.pk in self.plans:
            return
        self.counts["leads"] += 1
        self.plans[lead.pk] = self._plan(lead, link)
        if fields.get("name") and not link and rnd.random() < 0.15:
            # The same person reported again by a neighbour under another name: a duplicate to merge.
            again = dict(fields, key=uuid.uuid4(), name=fields["name"][:1] + "老" + fields["name"][1:][:2],
                         note="邻居说这家老人生活困难。")
            again.pop("photo", None)
            duplicate = services.file_grid_report(actor, **again).report.lead
            self.counts["reports"] += 1
            if duplicate.pk != lead.pk and duplicate.pk not in self.plans:
                self.counts["leads"] += 1
                self.plans[duplicate.pk] = {**self._plan(duplicate, None), "merge_into": lead.pk}

    def _plan(self, lead: Lead, link: int | None) -> dict:
        """When the town will act on the lead (working days after it opened) and how it ends."""
        rnd, pace = self.rnd, self.pace[lead.area_id[:9]]
        forgotten = rnd.random() < 0.07 * pace
        acknowledge = 0 if rnd.random() < 0.55 / pace else round(rnd.uniform(0.5, 1.6) * pace)
        visit = acknowledge + max(1, round(rnd.uniform(0.6, 2.6) * pace))
        end = _pick(rnd, (("apply", 3), ("close", 5), ("wait", 2))) if lead.household_id or link else \
            _pick(rnd, (("close", 6), ("wait", 3)))
        return {"opened": lead.opened_on, "acknowledge": None if forgotten else acknowledge, "visit": None if forgotten else visit,
                "end": end, "end_after": visit + rnd.choice((0, 0, 1, 2)), "link": link}

    def work(self, d: dt.date) -> None:
        """Each town's worker takes up the leads whose time has come (the plan), in the order of
        their opening; a forgotten lead is taken up by the county once it climbs there."""
        open_leads = {lead.pk: lead for lead in Lead.objects.filter(pk__in=list(self.plans), status__in=OPEN_STATUSES)}
        for lead_id in sorted(open_leads):
            lead, plan = open_leads[lead_id], self.plans[lead_id]
            actor = self.town_workers[lead.area_id[:9]]
            elapsed = workdays.working_days_between(plan["opened"], d)
            if plan["acknowledge"] is None:
                if lead.escalation == "county" and self.officer and self.rnd.random() < 0.2:
                    self._moment(d, self.rnd.uniform(9, 11))
                    self._do("acknowledged", services.acknowledge_lead, actor=self.officer, lead_id=lead_id)
                    plan.update(acknowledge=elapsed, visit=elapsed + 1, end_after=elapsed + 2)
                continue
            if plan.get("merge_into") and elapsed >= plan["acknowledge"]:
                self._moment(d, self.rnd.uniform(8.5, 12))
                if not self._do("merged", services.merge_leads, actor=actor, lead_id=lead_id, into_id=plan["merge_into"]):
                    plan["merge_into"] = None          # the other one ended first: this one is worked on its own
                continue
            if lead.acknowledged_at is None and elapsed >= plan["acknowledge"]:
                self._moment(d, self.rnd.uniform(8.5, 11.5) if elapsed else self.rnd.uniform(15, 17.5))
                self._do("acknowledged", services.acknowledge_lead, actor=actor, lead_id=lead_id)
            if lead.visited_at is None and elapsed >= plan["visit"]:
                if plan["link"] and not lead.household_id:
                    self._moment(d, self.rnd.uniform(13, 14))
                    if self._do("linked", services.link_household, actor=actor, lead_id=lead_id, household_id=plan["link"]):
                        lead.household_id = plan["link"]
                    else:
                        # The household had a lead open already (reported from the list meanwhile): merge.
                        other = Lead.objects.filter(household_id=plan["link"], status__in=OPEN_STATUSES).first()
                        if other and self._do("merged", services.merge_leads, actor=actor, lead_id=lead_id, into_id=other.pk):
                            continue
                self._moment(d, self.rnd.uniform(14, 17))
                in_need = plan["end"] == "apply" or (plan["end"] == "wait" and self.rnd.random() < 0.5)
                self._do("visited", services.record_visit, actor=actor, lead_id=lead_id, in_need=in_need,
                         note="入户核实，家庭确有困难，建议申请救助。" if in_need else "入户了解，家庭生活尚可维持。")
            if elapsed >= plan["end_after"] and plan["end"] in ("apply", "close") and elapsed >= plan["visit"]:
                self._moment(d, self.rnd.uniform(16, 17.8))
                if plan["end"] == "apply" and lead.household_id and self._apply(actor, lead):
                    continue
                self._do("closed", services.close_lead, actor=actor, lead_id=lead_id,
                         reason="helped_otherwise" if plan["end"] == "apply" else _pick(self.rnd, REASONS))

    def _apply(self, actor, lead: Lead) -> bool:
        head = Household.objects.filter(pk=lead.household_id).values_list("head_id", flat=True).first()
        return bool(head and self._do("applied", services.apply_from_lead, actor=actor, lead_id=lead.pk,
                                      program_code="dibao", applicant_id=head, accept=True))

    def _do(self, what: str, service, **kwargs):
        try:
            done = service(**kwargs)
        except SafetyNetError:
            self.counts[f"{what}_refused"] += 1
            return None
        self.counts[what] += 1
        return done

    def final(self, today: dt.date) -> dict:
        leads = Lead.objects.filter(pk__in=list(self.plans))
        from safetynet.discovery.selectors import overdue_q

        return {"open_at_end": leads.filter(status__in=OPEN_STATUSES).count(),
                "overdue_at_end": leads.filter(overdue_q(today)).count(),
                "with_town_leader_at_end": leads.filter(status__in=OPEN_STATUSES, escalation="town_leader").count(),
                "with_county_at_end": leads.filter(status__in=OPEN_STATUSES, escalation="county").count()}
