"""Service projects in the demo county (issue 19 part 5), through the same services an office and
the public form use (`services.projects`): a project the county designed last spring, evaluated,
approved, funded in two tranches, run with its milestones and about ten households of the demo
town, and closed by its outcome report; an organisation's proposal sent through the public form's
service, scored by the county officer and the county leader and approved; and one rejected below
the pass score. Deterministic.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from safetynet.core.scoping import Actor
from safetynet.registry.models import Household

from . import projects as svc


def _designed(officer: Actor, leader: Actor, town: str, today: dt.date) -> dict:
    start = today - dt.timedelta(days=240)
    end = today - dt.timedelta(days=10)
    project = svc.design_project(actor=officer, on=start - dt.timedelta(days=30), item=svc.ProjectInput(
        area_code=town, title="困难老人居家探访与助餐", target_group="elderly", budget="96000.00",
        description="由县民政局设计并面向社会公开购买：为镇内低保、特困家庭中的老人每周上门探访一次，每日提供午餐，建立服务台账。",
        starts_on=start, ends_on=end, proposer_name="正定县颐年居家养老服务中心"))
    svc.set_panel(actor=officer, project_id=project.pk, user_ids=[leader.user_id])
    svc.evaluate_project(actor=leader, project_id=project.pk, score=86, comment="覆盖困难老人刚需，方案和预算合理。",
                         criteria={"need": 92, "design": 84, "value": 80}, on=start - dt.timedelta(days=20))
    svc.approve_project(actor=officer, project_id=project.pk, note="同意立项，按季度拨付。", on=start - dt.timedelta(days=15))
    svc.fund_project(actor=officer, project_id=project.pk, amount="48000.00", paid_on=start, note="首期")
    svc.start_project(actor=officer, project_id=project.pk)
    svc.fund_project(actor=officer, project_id=project.pk, amount="40000.00", paid_on=start + dt.timedelta(days=120),
                     note="二期")
    for days, title, evidence in ((30, "完成服务对象摸底", "摸底登记表 12 份，存镇民政办"),
                                  (120, "中期评估", "中期评估报告，服务满意度 96%"),
                                  (220, "服务总结", "服务台账、签到表和回访记录")):
        m = svc.add_milestone(actor=officer, project_id=project.pk, title=title, due_on=start + dt.timedelta(days=days))
        svc.complete_milestone(actor=officer, project_id=project.pk, milestone_id=m.pk,
                               done_on=start + dt.timedelta(days=days - 2), evidence=evidence)
    households = list(Household.objects.filter(area__code__startswith=town).order_by("id").values_list("id", flat=True)[:10])
    added = svc.add_beneficiaries(actor=officer, project_id=project.pk, household_ids=households)
    report = svc.submit_outcome(actor=officer, project_id=project.pk,
                                text="累计上门探访 380 人次，送餐 6,200 余份；发现并转介临时救助需求 3 起。")
    return {"designed": project.pk, "beneficiaries": sum(r.added for r in added), "people_served": report.people_served}


def _proposal(town: str, today: dt.date, **fields) -> svc.ProjectInput:
    values = dict(area_code=town, target_group="children", budget="60000.00", starts_on=today + dt.timedelta(days=20),
                  ends_on=today + dt.timedelta(days=200), proposer_uscc="91110000600037341L", contact_phone="13912345678")
    values.update(fields)
    return svc.ProjectInput(**values)


def build_projects_demo(actor_of: Callable[[str], Actor], today: dt.date) -> dict:
    """Leave the demo county's service projects in their states; returns the counts."""
    officer, leader = actor_of("county_officer"), actor_of("county_leader")
    town = actor_of("town_worker").area_code
    counts = _designed(officer, leader, town, today)

    approved = svc.propose_project(_proposal(
        town, today, title="困境儿童课后托管与学业辅导", contact_name="王春华", contact_email="wch@example.org",
        description="在镇社工站为低保、特困家庭的学龄儿童提供课后托管、作业辅导和心理疏导，每周五天。",
        proposer_name="正定县童心社会工作服务社"), on=today - dt.timedelta(days=12)).project
    svc.set_panel(actor=officer, project_id=approved.pk, user_ids=[officer.user_id, leader.user_id])
    svc.evaluate_project(actor=officer, project_id=approved.pk, score=78, comment="需求明确，团队有儿童服务经验。")
    svc.evaluate_project(actor=leader, project_id=approved.pk, score=72, comment="预算可再细化，同意实施。")
    svc.approve_project(actor=officer, project_id=approved.pk, note="同意立项。")

    rejected = svc.propose_project(_proposal(
        town, today, title="社区文艺汇演", target_group="other", target_note="全体居民", budget="150000.00",
        contact_name="赵志强", description="组织全镇文艺汇演三场，丰富群众文化生活。", proposer_name="正定县乐享文化传播中心"),
        on=today - dt.timedelta(days=8)).project
    svc.set_panel(actor=officer, project_id=rejected.pk, user_ids=[officer.user_id, leader.user_id])
    svc.evaluate_project(actor=officer, project_id=rejected.pk, score=41, comment="与社会救助关联弱。")
    svc.evaluate_project(actor=leader, project_id=rejected.pk, score=35, comment="不属于困难群众救助服务。")
    svc.reject_project(actor=officer, project_id=rejected.pk,
                       reason="评审平均分未达到立项分数线：项目不针对困难群众的救助需求。")
    return {**counts, "approved": approved.pk, "rejected": rejected.pk}
