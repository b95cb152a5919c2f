"""An objection to a public notice is recorded and answered, and the board says where it stands
(issue 15, item 4; MLG-2021 art. 19): one anonymous objection no longer takes the notice off
the board; the town re-surveys or deliberates, answers the objection (upheld or not, with what the
objector is told), gives a new opinion and posts the notice again."""
from __future__ import annotations

import pytest
from django.urls import reverse

from safetynet.cases import services
from safetynet.cases.errors import StepMissing, TransitionNotAllowed
from safetynet.cases.models import Case
from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.publicity.models import Notice, Objection
from tests.cases_helpers import investigators, walk


@pytest.fixture
def noticed(posts, poor_household, clock, standards):
    return walk(posts, poor_household, clock, to="in_notice")


def _board(client, village, lang="en") -> str:
    return client.get(reverse("publicity:board", args=[village.code]), HTTP_ACCEPT_LANGUAGE=lang).content.decode()


def _object(client, village, notice, text="他家在县城有门面房出租"):
    return client.post(reverse("publicity:objection", args=[village.code, notice.pk]), {f"n{notice.pk}-content": text})


def _resurvey(posts, case, clock):
    services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                           findings="复查：门面房系租用，无出租收入", signed_by_household=True)


def test_one_anonymous_objection_keeps_the_notice_on_the_board_marked(client, noticed, village, clock):
    notice = noticed.notices.get()
    assert _object(client, village, notice).status_code == 302
    html = _board(client, village, "zh-hans")
    assert html.count('data-testid="notice"') == 1
    assert 'data-state="under_objection"' in html and "公示有异议，正在核实" in html
    # still shown after its last day, while the objection is open
    clock.advance(10)
    html = _board(client, village)
    assert html.count('data-testid="notice"') == 1 and "Under objection" in html
    assert Notice.objects.get(pk=notice.pk).status == "posted"


def test_the_answer_is_checked_like_every_step(noticed, posts, clock, make_actor):
    services.record_objection(actor=posts.cadre, case_id=noticed.pk, content="有经营收入")
    # before the re-survey or deliberation there is nothing to answer with
    with pytest.raises(TransitionNotAllowed):
        services.answer_objection(actor=posts.worker, case_id=noticed.pk, finding="not_upheld", answer="不成立")
    _resurvey(posts, noticed, clock)
    case = Case.objects.get(pk=noticed.pk)
    assert case.next_action == "answer_objection"
    with pytest.raises(StepMissing):
        services.give_town_opinion(actor=posts.worker, case_id=case.pk)
    with pytest.raises(PermissionDenied):      # a village cadre records objections, the town answers them
        services.answer_objection(actor=posts.cadre, case_id=case.pk, finding="not_upheld", answer="不成立")
    with pytest.raises(NotFound):              # another town's worker does not see the case
        services.answer_objection(actor=posts.other_worker, case_id=case.pk, finding="not_upheld", answer="不成立")
    with pytest.raises(ValidationError) as error:
        services.answer_objection(actor=posts.worker, case_id=case.pk, finding="maybe", answer="不成立")
    assert error.value.field == "finding"
    with pytest.raises(ValidationError) as error:
        services.answer_objection(actor=posts.worker, case_id=case.pk, finding="upheld", answer="  ")
    assert error.value.field == "answer"
    after = Case.objects.get(pk=case.pk)
    assert (after.version, after.objection_answered_on) == (case.version, None)
    assert not Objection.objects.filter(case=case, answered_at__isnull=False).exists()

    services.answer_objection(actor=posts.worker, case_id=case.pk, finding="not_upheld", answer="经复查，门面房系租用")
    objection = Objection.objects.get(case=case)
    assert (objection.finding, objection.answer, objection.answered_by) == ("not_upheld", "经复查，门面房系租用",
                                                                           posts.worker.username)
    assert Case.objects.get(pk=case.pk).next_action == "give_town_opinion"
    with pytest.raises(TransitionNotAllowed):   # answered once
        services.answer_objection(actor=posts.worker, case_id=case.pk, finding="upheld", answer="再答")


def test_the_board_follows_the_answer_to_the_new_notice(client, noticed, posts, village, clock):
    notice = noticed.notices.get()
    _object(client, village, notice)
    _resurvey(posts, noticed, clock)
    services.answer_objection(actor=posts.worker, case_id=noticed.pk, finding="not_upheld", answer="异议不成立")
    html = _board(client, village, "zh-hans")
    assert 'data-state="not_upheld"' in html and "经核实异议不成立，将重新公示" in html
    assert f'n{notice.pk}-content' not in html          # answered: no more objections to this posting
    services.give_town_opinion(actor=posts.worker, case_id=noticed.pk, opinion="维持原审核意见")
    services.publish_notice(actor=posts.worker, case_id=noticed.pk)
    html = _board(client, village, "zh-hans")
    assert html.count('data-testid="notice"') == 1 and 'data-state="republished"' in html and "重新公示" in html
    assert Notice.objects.get(pk=notice.pk).status == "closed"


def test_an_upheld_objection_then_a_refusal_takes_the_notice_down(client, noticed, posts, village, clock):
    services.record_objection(actor=posts.worker, case_id=noticed.pk, content="有小汽车")
    services.hold_deliberation(actor=posts.worker, case_id=noticed.pk, held_on=clock(), participants=7,
                               village_representatives=5, opinion="异议属实")
    services.answer_objection(actor=posts.worker, case_id=noticed.pk, finding="upheld", answer="经评议，异议属实")
    assert 'data-state="upheld"' in _board(client, village)
    services.give_town_opinion(actor=posts.worker, case_id=noticed.pk, opinion="不符合条件")
    services.refuse_case(actor=posts.officer, case_id=noticed.pk, reasons="家庭拥有机动车")
    assert 'data-testid="no-notices"' in _board(client, village)


def test_the_answer_through_the_page_and_the_api(login, noticed, posts, clock):
    services.record_objection(actor=posts.worker, case_id=noticed.pk, content="有经营收入")
    _resurvey(posts, noticed, clock)
    client = login(posts.worker)
    page = client.get(reverse("cases:detail", args=[noticed.pk])).content.decode()
    assert 'data-action="answer_objection"' in page
    case = Case.objects.get(pk=noticed.pk)
    response = client.post(reverse("cases:act", args=[case.pk, "answer_objection"]),
                           {"answer_objection-version": case.version, "answer_objection-finding": "",
                            "answer_objection-answer": "x"})
    assert response.status_code == 422
    api = login(posts.cadre)
    response = api.post(f"/api/v1/cases/{case.pk}/objections/answer", {"finding": "upheld", "answer": "成立"},
                        content_type="application/json")
    assert response.status_code == 403
    client = login(posts.worker)
    response = client.post(f"/api/v1/cases/{case.pk}/objections/answer", {"finding": "not_upheld", "answer": "不成立"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="objection-answer"' in page and "不成立" in page
