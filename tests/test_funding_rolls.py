"""A deliberation meeting's roll by name (issue 19 part 3): the participants a meeting's subsidy
is paid to, each named once, never more than the meeting's count; every bad row named."""
from __future__ import annotations

import pytest

from safetynet.cases.deliberation_rolls import record_deliberation_roll, rows_from_text
from safetynet.cases.models import DeliberationParticipant
from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from tests.funding_helpers import roll, work  # noqa: F401,F811 (a fixture)


def test_a_roll_is_recorded_and_refuses_a_participant_counted_twice(work, posts):
    assert [p.name for p in work.roll] == [p.name for p in DeliberationParticipant.objects.filter(deliberation=work.meeting)]
    again = [{"name": work.roll[0].name, "id_number": work.roll[0].id_number}]
    with pytest.raises(ValidationError, match="already on the roll") as error:
        record_deliberation_roll(actor=posts.cadre, deliberation_id=work.meeting.pk, participants=again)
    assert error.value.code == "bad_roll" and "Row 1" in error.value.message
    twice = roll(1)
    with pytest.raises(ValidationError, match=r"Row 2: .* counted twice in this meeting \(also row 1\)"):
        record_deliberation_roll(actor=posts.cadre, deliberation_id=work.meeting.pk, participants=twice + twice)
    assert DeliberationParticipant.objects.filter(deliberation=work.meeting).count() == 3


def test_a_roll_never_names_more_than_the_meeting_had(work, posts):
    with pytest.raises(ValidationError, match="had 5 participants and 3 are on its roll: at most 2 more"):
        record_deliberation_roll(actor=posts.cadre, deliberation_id=work.meeting.pk, participants=roll(3))
    # The meeting had 4 village representatives and 2 are named: 3 more would be 5.
    with pytest.raises(ValidationError) as error:
        record_deliberation_roll(actor=posts.cadre, deliberation_id=work.meeting.pk,
                                 participants=roll(2, representatives=2) + roll(1, representatives=1))
    assert any("4 village representatives: 5 are named" in row for row in error.value.details["rows"])
    assert len(record_deliberation_roll(actor=posts.cadre, deliberation_id=work.meeting.pk, participants=roll(2))) == 2


def test_bad_rows_are_each_named_and_nothing_is_recorded(work, posts):
    rows = [{"name": "", "id_number": "130123196501011234"}, {"name": "王五", "id_number": "12345"},
            {"name": "赵六", "id_number": roll(1)[0]["id_number"], "bank_account": "62-17"}]
    with pytest.raises(ValidationError) as error:
        record_deliberation_roll(actor=posts.cadre, deliberation_id=work.meeting.pk, participants=rows)
    problems = error.value.details["rows"]
    assert [p.split(":")[0] for p in problems[:3]] == ["Row 1", "Row 2", "Row 3"]
    assert "bank account" in problems[2]
    assert DeliberationParticipant.objects.filter(deliberation=work.meeting).count() == 3


def test_who_may_record_a_roll(work, posts):
    with pytest.raises(NotFound):                      # another town's cadre: not in scope
        record_deliberation_roll(actor=posts.other_cadre, deliberation_id=work.meeting.pk, participants=roll(1))
    with pytest.raises(PermissionDenied):              # an inspector reads, never writes
        record_deliberation_roll(actor=posts.inspector, deliberation_id=work.meeting.pk, participants=roll(1))
    with pytest.raises(NotFound):
        record_deliberation_roll(actor=posts.cadre, deliberation_id=999999, participants=roll(1))
    record_deliberation_roll(actor=posts.worker, deliberation_id=work.meeting.pk, participants=roll(1))


def test_a_roll_typed_or_pasted(work, posts, login, api):
    assert rows_from_text("王一，130123196501011234，6231660000000001，是\n\n李二\t110101199003070000")[1] == {
        "name": "李二", "id_number": "110101199003070000", "bank_account": "", "is_village_representative": ""}
    client = login(posts.cadre)
    url = f"/cases/{work.case.pk}/deliberations/{work.meeting.pk}/roll/"
    page = client.get(url)
    assert page.status_code == 200 and work.roll[0].name in page.content.decode()
    row = roll(1)[0]
    bad = client.post(url, {"roll": f"{work.roll[0].name},{work.roll[0].id_number}"})
    assert bad.status_code == 422 and "already on the roll" in bad.content.decode()
    assert client.post(url, {"roll": f"{row['name']},{row['id_number']},{row['bank_account']}"}).status_code == 302
    assert login(posts.other_worker).get(url).status_code == 404
    answer = api(posts.cadre).post(f"/api/v1/cases/{work.case.pk}/deliberations/{work.meeting.pk}/participants",
                                   {"participants": [roll(1)[0]]}, content_type="application/json")
    assert answer.status_code == 201 and len(answer.json()["roll"]) == 5
    full = api(posts.cadre).post(f"/api/v1/cases/{work.case.pk}/deliberations/{work.meeting.pk}/participants",
                                 {"participants": [roll(1)[0]]}, content_type="application/json")
    assert full.status_code == 422 and full.json()["code"] == "bad_roll"
    assert api(posts.other_worker).get(
        f"/api/v1/cases/{work.case.pk}/deliberations/{work.meeting.pk}/participants").status_code == 404
