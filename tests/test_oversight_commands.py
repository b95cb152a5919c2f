"""The daily command that marks inspection findings past their day overdue (docs/deployment.md)."""
from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from safetynet.oversight import inspections
from safetynet.oversight.inspection_models import FindingStatus, InspectionFinding


def _finding(posts, make_actor, county):
    inspector = make_actor("inspector", county.code)
    return inspections.record_finding(actor=inspector, office_code=posts.worker.area_code, subject="台账不全",
                                      text="抽查发现入户调查记录缺少签字", on=dt.date(2025, 9, 22))


def test_overdue_findings_marks_once_and_says_how_many(posts, make_actor, county, clock):
    finding = _finding(posts, make_actor, county)
    out = StringIO()
    call_command("overdue_findings", on=str(finding.due_on), stdout=out)
    assert "0 inspection findings" in out.getvalue()
    later = finding.due_on + dt.timedelta(days=1)
    call_command("overdue_findings", on=str(later), county=county.code, stdout=out)
    assert InspectionFinding.objects.get(pk=finding.pk).status == FindingStatus.OVERDUE
    out = StringIO()
    call_command("overdue_findings", on=str(later), stdout=out)
    assert "0 inspection findings" in out.getvalue()


@pytest.mark.parametrize("options", [{"county": "13012"}, {"on": "2025-13-01"}])
def test_bad_options_are_refused(db, options):
    with pytest.raises(CommandError):
        call_command("overdue_findings", **options)


def test_the_menu_bar_groups_discovery_and_supervision_in_drop_downs(posts, make_actor, county):
    """A county officer's pages fit one bar: discovery's and supervision's pages in a drop-down
    each, in the menu's order; a group with one entry for the post is shown as that entry."""
    from safetynet.core.menu import menu_bar, menu_for

    bar = menu_bar(menu_for(posts.officer))
    groups = {item["group"]: item for item in bar if "entries" in item}
    assert set(groups) == {"discovery", "oversight", "workforce", "services", "medical"}
    assert [e["url_name"] for e in groups["oversight"]["entries"]][:2] == ["oversight:complaints", "oversight:boards"]
    flat = [e for item in bar for e in item.get("entries", [item])]
    assert flat == menu_for(posts.officer)
    assert len(bar) < len(flat) - 10
    grid = menu_bar(menu_for(posts.grid))
    assert "discovery:report" in [item.get("url_name") for item in grid]      # on the bar itself
