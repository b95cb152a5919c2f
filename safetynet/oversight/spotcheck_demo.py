"""The demo county's finished spot-check campaign (issue 18 part 4), built through the services an
office uses: the county officer draws a campaign over the quarter's confirmed cases and the live
enrollments three weeks ago, re-visits every household and records a verdict, a few of them wrong
(each opening its control complaint). Seeded from the day, so the same demo gives the same
campaign; called by the demo after the months of office work."""
from __future__ import annotations

import datetime as dt
import random

from safetynet.core.scoping import Actor
from safetynet.programs.catalogue import DIBAO, SPECIAL_HARDSHIP

from . import spotchecks
from .spotcheck_models import ConfirmedBy, SpotCheckCampaign, Verdict
from .spotchecks import CampaignInput, RevisitInput

WRONG_SHARE = 0.08
FOUND_CORRECT = ("入户核实，家庭人口、收入与档案一致。", "家庭状况与调查记录相符，生活确有困难。",
                 "核对存折与收入证明，未见异常。")
FOUND_WRONG = {
    Verdict.SHOULD_NOT_RECEIVE: "家中新购小轿车一辆，子女在外务工收入稳定，已不符合条件。",
    Verdict.AMOUNT_WRONG: "家庭人口变动未及时申报，保障金额计算有误。",
    Verdict.HELP_MORE: "户主新增重病，医疗支出大，应提高救助水平。",
    Verdict.HELP_LESS: "家庭成员已就业，实际收入高于申报。",
    Verdict.PROCEDURE_INCOMPLETE: "入户调查记录缺少户主签字，公示材料不全。",
}


def build_finished_campaign(actor: Actor, today: dt.date, *, seed: int | None = None) -> SpotCheckCampaign:
    """A finished campaign in the actor's county (the county officer's post). Run again, it finds
    the campaign it left."""
    county = actor.area_code[:6]
    name = f"{today.year}年第{(today.month - 1) // 3 + 1}季度低保特困抽查"
    existing = SpotCheckCampaign.objects.filter(area_id=county, name=name).first()
    if existing is not None:
        return existing
    seed = seed if seed is not None else int(today.strftime("%Y%m%d"))
    started = today - dt.timedelta(days=21)
    campaign = spotchecks.start_campaign(actor, county_code=county, on=started, item=CampaignInput(
        name=name, programs=[DIBAO, SPECIAL_HARDSHIP], include_cases=True, confirmed_by=ConfirmedBy.ANY,
        period_from=started - dt.timedelta(days=92), period_to=started, include_enrollments=True, seed=seed))
    rnd = random.Random(f"{seed}:spot-check-verdicts")
    visitors = f"{actor.username}、县民政局核查组"
    wrong = list(FOUND_WRONG)
    for item in campaign.items.order_by("position"):
        visited_on = started + dt.timedelta(days=rnd.randint(1, 20))
        # risky households turn out wrong more often, as the weights expect
        if rnd.random() < WRONG_SHARE * (2 if item.risks else 1):
            verdict = rnd.choice(wrong)
            found = FOUND_WRONG[verdict]
        else:
            verdict, found = Verdict.CORRECT, rnd.choice(FOUND_CORRECT)
        spotchecks.record_revisit(actor, item_id=item.pk, revisit=RevisitInput(
            visited_on=min(visited_on, today), visitors=visitors, found=found, verdict=verdict))
    campaign.refresh_from_db()
    return campaign
