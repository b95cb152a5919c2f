"""The whole dibao path taken a batch at a time (cases/batch.py, each step written once for a
list of cases over core/unitofwork.py): the cases end exactly where one-at-a-time takes them
(same status, amount, timeline and audit trail, a chain that verifies); a refused case leaves no
trace and holds back no other; the steps write only through their unit of work; and what the
flush finds wrong undoes the whole batch rather than part of it."""
from __future__ import annotations

import dataclasses

import pytest
from django.db import connection

from safetynet.cases import batch, services, statements, steps
from safetynet.cases.models import Case, CaseEvent, Survey, VerificationReport
from safetynet.core import unitofwork
from safetynet.core.audit import verify_chain
from safetynet.core.errors import Conflict, PermissionDenied, SafetyNetError, ValidationError
from safetynet.core.models import AuditEvent
from safetynet.enrollments.models import Enrollment
from safetynet.publicity.models import Notice
from tests.cases_helpers import investigators, make_poor_household, walk


@pytest.fixture(autouse=True)
def send_ahead_after_every_case(settings):
    """On PostgreSQL each batch here sends its UPDATEs ahead after every case (UnitOfWork.
    send_ready, which the bench does every 16): the same ends, checked the same way. The other
    batch tests keep the default, which their few cases never reach."""
    settings.WRITE_BATCH_SEND_EVERY = 1


def _apply(posts, households):
    results = batch.apply_for_households(actor=posts.worker, applications=[
        {"program_code": "dibao", "household_id": h.pk, "applicant_id": h.head_id, "channel": "walk_in"}
        for h in households])
    assert all(r.ok for r in results), results
    return [r.case_id for r in results]


def _take(actor, action, ids, **inputs):
    results = batch.take_steps(actor=actor, action=action, items=[{"case": i, **inputs} for i in ids])
    assert all(r.ok for r in results), results
    return results


def _batched_path(posts, clock, households) -> list[int]:
    ids = _apply(posts, households)
    _take(posts.worker, "accept", ids)
    _take(posts.worker, "record_survey", ids, conducted_on=clock(), investigators=investigators(),
          findings="家中确实困难", signed_by_household=True)
    _take(posts.verifier, "verify", ids, summary="无异常")
    _take(posts.worker, "give_town_opinion", ids, opinion="符合条件")
    _take(posts.worker, "publish_notice", ids)
    clock.advance(7)
    _take(posts.worker, "close_notice", ids)
    _take(posts.officer, "confirm", ids)
    return ids


def test_the_batched_path_ends_where_one_at_a_time_does(posts, village, clock, standards):
    one = walk(posts, make_poor_household(posts.worker, village.code), clock)
    clock.day = one.applied_on
    ids = _batched_path(posts, clock, [make_poor_household(posts.worker, village.code) for _ in range(3)])
    for case in Case.objects.filter(pk__in=ids):
        assert (case.status, case.version, case.is_open, case.proposed_amount) == (one.status, one.version, False,
                                                                                 one.proposed_amount)
        # the same rule on the same kind of household: the same lines (names and ids aside)
        # the lines name each household's own members: compared by figure and rule, in each language kept
        assert {k: v for k, v in case.outcome.items() if k not in ("breakdown", "texts")} == {
            k: v for k, v in one.outcome.items() if k not in ("breakdown", "texts")}
        lines = [case.outcome["breakdown"], *(t["breakdown"] for t in case.outcome["texts"].values())]
        same = [one.outcome["breakdown"], *(t["breakdown"] for t in one.outcome["texts"].values())]
        assert [[(line["amount"], line["rule"]) for line in ls] for ls in lines] == [
            [(line["amount"], line["rule"]) for line in ls] for ls in same]
        actions = list(CaseEvent.objects.filter(case=case).order_by("id").values_list("action", flat=True))
        assert actions == list(CaseEvent.objects.filter(case=one).order_by("id").values_list("action", flat=True))
        audited = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
        assert audited.count() == len(actions)
        enrollment = Enrollment.objects.get(case=case)
        assert enrollment.monthly_amount == one.proposed_amount and enrollment.decision.case_id == case.pk
        assert Survey.objects.get(case=case).investigators.count() == 2
        assert Notice.objects.get(case=case).status == "closed"
        assert VerificationReport.objects.filter(case=case, is_manual=True).count() == 1
    assert verify_chain() is None
    # the chain goes on from the batch's last link, one event at a time again
    walk(posts, make_poor_household(posts.worker, village.code), clock, to="accepted")
    assert verify_chain() is None


def test_a_refused_case_leaves_no_trace_and_holds_back_no_other(posts, village, other_village, clock, standards):
    ids = _apply(posts, [make_poor_household(posts.worker, village.code) for _ in range(3)])
    _take(posts.worker, "accept", ids)
    events, audits, surveys = CaseEvent.objects.count(), AuditEvent.objects.count(), Survey.objects.count()
    team = investigators()
    results = batch.take_steps(actor=posts.worker, action="record_survey", items=[
        {"case": ids[0], "conducted_on": clock(), "investigators": team, "findings": "属实", "signed_by_household": True},
        {"case": ids[1], "conducted_on": clock(), "investigators": team[:1], "findings": "属实", "signed_by_household": True},
        {"case": ids[2], "conducted_on": clock(), "investigators": team, "findings": "属实", "signed_by_household": True},
    ])
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error["field"] == "investigators"
    assert Case.objects.get(pk=ids[1]).status == "accepted"
    assert not Survey.objects.filter(case_id=ids[1]).exists()
    assert Survey.objects.count() == surveys + 2
    assert CaseEvent.objects.count() == events + 2 and AuditEvent.objects.count() == audits + 2
    assert verify_chain() is None


def test_two_applications_for_one_household_in_a_batch(posts, village, clock, standards):
    household = make_poor_household(posts.worker, village.code)
    other = make_poor_household(posts.worker, village.code)
    same = {"program_code": "dibao", "household_id": household.pk, "applicant_id": household.head_id, "channel": "walk_in"}
    results = batch.apply_for_households(actor=posts.worker, applications=[
        same, {"program_code": "dibao", "household_id": other.pk, "applicant_id": other.head_id, "channel": "walk_in"},
        same])
    assert [r.ok for r in results] == [True, True, False]
    assert results[2].error["code"] == "conflict" and results[2].case_id is None
    assert Case.objects.filter(household=household).count() == 1
    # ... and against a case already open, as one at a time
    again = batch.apply_for_households(actor=posts.worker, applications=[same])
    assert not again[0].ok and again[0].error["code"] == "conflict"


def test_a_batch_is_refused_whole_for_a_role_without_the_step_or_a_bad_list(posts, village, clock, standards):
    ids = _apply(posts, [make_poor_household(posts.worker, village.code)])
    _take(posts.worker, "accept", ids)
    _take(posts.worker, "record_survey", ids, conducted_on=clock(), investigators=investigators(), findings="属实",
          signed_by_household=True)
    with pytest.raises(PermissionDenied):            # the county verifies, not the town
        batch.take_steps(actor=posts.worker, action="verify", items=[{"case": ids[0], "summary": "无异常"}])
    with pytest.raises(PermissionDenied):
        batch.apply_for_households(actor=posts.inspector, applications=[{"program_code": "dibao"}])
    with pytest.raises(ValidationError) as error:
        batch.take_steps(actor=posts.officer, action="verify", items=[{"case": ids[0], "summary": "x", "amount": 1}])
    assert error.value.field == "amount"
    with pytest.raises(ValidationError) as error:
        batch.take_steps(actor=posts.officer, action="hold_deliberation", items=[{"case": ids[0]}])
    assert error.value.field == "action"
    with pytest.raises(ValidationError) as error:
        batch.take_steps(actor=posts.officer, action="verify", items=[{"case": "x"}])
    assert error.value.field == "cases"
    with pytest.raises(ValidationError):
        batch.take_steps(actor=posts.officer, action="verify", items=[{"case": i} for i in range(1, batch.MAX_BATCH + 2)])
    assert Case.objects.get(pk=ids[0]).status == "surveyed"


def test_another_towns_case_does_not_exist_in_a_batch(posts, village, other_village, clock, standards):
    mine = _apply(posts, [make_poor_household(posts.worker, village.code)])
    household = make_poor_household(posts.other_worker, other_village.code)
    theirs = services.apply_for_assistance(actor=posts.other_worker, program_code="dibao", household_id=household.pk,
                                           applicant_id=household.head_id, channel="walk_in")
    results = batch.take_steps(actor=posts.worker, action="accept", items=[{"case": theirs.pk}, {"case": mine[0]}])
    assert results[0].error["code"] == "not_found" and results[1].ok
    assert Case.objects.get(pk=theirs.pk).status == "applied"


@pytest.mark.parametrize("action", sorted(a for a, step in steps.STEPS.items() if step.many))
def test_every_batch_step_writes_only_through_its_unit_of_work(action, posts, village, clock, standards,
                                                                   monkeypatch):
    """A step that wrote to the database directly could not be undone alone when its case is
    refused: the batch steps must not (the unit of work's contract)."""
    before = {"accept": "applied", "record_survey": "accepted", "verify": "surveyed", "give_town_opinion": "verified",
              "publish_notice": "town_reviewed", "close_notice": "in_notice", "confirm": "notice_closed"}[action]
    cases = [walk(posts, make_poor_household(posts.worker, village.code), clock, to=before) for _ in range(2)]
    if action == "close_notice":
        clock.advance(8)
    inputs = {"record_survey": {"conducted_on": clock(), "investigators": investigators(), "findings": "属实",
                                "signed_by_household": True},
              "verify": {"summary": "无异常"}}.get(action, {})
    seen = []
    flush = unitofwork.UnitOfWork.flush

    def spy(self):
        seen.append(self.immediate_writes)
        return flush(self)
    monkeypatch.setattr(unitofwork.UnitOfWork, "flush", spy)
    actor = {"verify": posts.verifier, "confirm": posts.officer}.get(action, posts.worker)
    results = batch.take_steps(actor=actor, action=action, items=[{"case": c.pk, **inputs} for c in cases])
    assert all(r.ok for r in results), results
    assert seen == [0]


def test_a_direct_write_then_a_refusal_gives_up_the_whole_batch(posts, village, clock, standards, monkeypatch):
    ids = _apply(posts, [make_poor_household(posts.worker, village.code) for _ in range(2)])
    real = steps.STEPS["accept"]

    def writes_then_refuses(uow, actor, case, reads, **inputs):
        if case.pk == ids[1]:
            Case.objects.filter(pk=case.pk).update(reason="written around the batch")
            raise Conflict("refused after writing")
        return real.service.take(uow, actor, case, reads, **inputs)
    monkeypatch.setitem(steps.STEPS, "accept", dataclasses.replace(
        real, service=services.CaseStep(writes_then_refuses, real.service.read)))
    with pytest.raises(Conflict, match="refused after writing"):      # the whole unit given up, with the reason
        batch.take_steps(actor=posts.worker, action="accept", items=[{"case": i} for i in ids])
    assert set(Case.objects.filter(pk__in=ids).values_list("status", "reason")) == {("applied", "")}


def test_a_case_moved_under_the_batch_undoes_the_whole_batch(posts, village, clock, standards, monkeypatch):
    """The flush finds the version it was given gone (here: moved by a write the batch did not
    see): nothing of the batch stays."""
    ids = _apply(posts, [make_poor_household(posts.worker, village.code) for _ in range(2)])
    load = statements.load_cases

    def load_then_move(case_ids):
        found = load(case_ids)
        with connection.cursor() as cursor:
            cursor.execute("UPDATE cases_case SET version = version + 1 WHERE id = %s", [ids[1]])
        return found
    monkeypatch.setattr(statements, "load_cases", load_then_move)
    audits = AuditEvent.objects.count()
    with pytest.raises(SafetyNetError):
        batch.take_steps(actor=posts.worker, action="accept", items=[{"case": i} for i in ids])
    assert set(Case.objects.filter(pk__in=ids).values_list("status", "version")) == {("applied", 1)}
    assert AuditEvent.objects.count() == audits


def test_units_of_work_do_not_nest(db):
    with unitofwork.unit_of_work():
        with pytest.raises(RuntimeError):
            with unitofwork.unit_of_work():
                pass


def test_a_batch_acceptance_finds_close_relatives_as_one_at_a_time(posts, village, clock, standards):
    """The kinship and the staff register are read for all the batch's households at once; the
    match is the same as when the case is accepted alone (a staff member's sibling; a staff
    member in the household)."""
    from safetynet.registry.services import create_household, link_kinship
    from safetynet.workforce.services import register_staff_identity
    from tests.cases_helpers import D, new_id

    number = new_id(D(1978, 4, 4))
    home = create_household(actor=posts.worker, area_code=village.code, address="干部家", registration_type="urban",
                            members=[{"name": "张干部", "id_number": number, "relation_to_head": "head"}])
    register_staff_identity(actor=posts.officer, name="张干部", id_number=number, area_code="130123100",
                            kind="town_staff", user_id=posts.worker.user_id)
    sibling, plain = (make_poor_household(posts.worker, village.code) for _ in range(2))
    link_kinship(actor=posts.worker, person_id=sibling.head_id, relation="sibling", relative_id=home.head_id)
    ids = _apply(posts, [plain, sibling, home])
    _take(posts.worker, "accept", ids)
    plain_case, sibling_case, home_case = (Case.objects.get(pk=i) for i in ids)
    assert not plain_case.is_close_relative and plain_case.close_relative_matches == []
    assert sibling_case.is_close_relative and sibling_case.county_visit_required
    assert [(m["relation"], m["staff_name"], m["member_person_id"]) for m in sibling_case.close_relative_matches] == [
        ("sibling", "张干部", sibling.head_id)]
    assert [m["relation"] for m in home_case.close_relative_matches] == ["self"]


@pytest.mark.parametrize("action", ["apply", "accept", "record_survey", "give_town_opinion", "confirm"])
def test_a_batch_reads_its_cases_rows_at_once(action, posts, village, clock, standards, django_assert_max_num_queries):
    """Statements for a batch of six are those for a batch of two: the rows each case's step
    reads are read for all of them before the cases are taken."""
    from django.test.utils import CaptureQueriesContext

    before = {"apply": None, "accept": "applied", "record_survey": "accepted", "give_town_opinion": "verified",
              "confirm": "notice_closed"}[action]
    inputs = {"record_survey": {"conducted_on": clock(), "investigators": investigators(), "findings": "属实",
                                "signed_by_household": True}}.get(action, {})
    counts = []
    for size in (2, 6):
        households = [make_poor_household(posts.worker, village.code) for _ in range(size)]
        cases = [walk(posts, h, clock, to=before) for h in households] if before else []
        with CaptureQueriesContext(connection) as captured:
            if action == "apply":
                _apply(posts, households)
            else:
                _take(posts.officer if action == "confirm" else posts.worker, action, [c.pk for c in cases], **inputs)
        counts.append(len(captured.captured_queries))
    assert counts[1] <= counts[0], counts       # (the first may warm a cache)


def test_a_batch_survey_refuses_a_relative_investigator_as_one_at_a_time(posts, village, clock, standards):
    from safetynet.registry.services import create_household, link_kinship
    from tests.cases_helpers import D, new_id

    households = [make_poor_household(posts.worker, village.code) for _ in range(2)]
    ids = _apply(posts, households)
    _take(posts.worker, "accept", ids)
    number = new_id(D(1975, 1, 1))
    other = create_household(actor=posts.worker, area_code=village.code, address="弟家", registration_type="rural",
                             members=[{"name": "张弟", "id_number": number, "relation_to_head": "head"}])
    link_kinship(actor=posts.worker, person_id=households[1].head_id, relation="sibling", relative_id=other.head_id)
    team = investigators(1) + [{"name": "张弟", "id_number": number}]
    results = batch.take_steps(actor=posts.worker, action="record_survey", items=[
        {"case": i, "conducted_on": clock(), "investigators": team, "findings": "属实", "signed_by_household": True}
        for i in ids])
    assert results[0].ok                               # not a relative of the first household
    assert not results[1].ok and results[1].error["field"] == "investigators"
    assert "张弟" in results[1].error["message"]


def test_a_batch_with_an_unreadable_version_or_no_applications_is_refused_whole(posts, village, clock, standards):
    ids = _apply(posts, [make_poor_household(posts.worker, village.code) for _ in range(2)])
    for bad in ("3x", True, 0, 2.5):
        with pytest.raises(ValidationError) as error:
            batch.take_steps(actor=posts.worker, action="accept", items=[{"case": ids[0]}, {"case": ids[1], "version": bad}])
        assert error.value.field == "version"
    assert set(Case.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"applied"}
    assert [r.ok for r in batch.take_steps(actor=posts.worker, action="accept",
                                           items=[{"case": ids[0], "version": "1"}])] == [True]
    with pytest.raises(ValidationError) as error:
        batch.apply_for_households(actor=posts.worker, applications=[])
    assert error.value.field == "applications"


@pytest.mark.skipif("not __import__('django.db').db.connection.vendor == 'postgresql'", reason="sent ahead on PostgreSQL")
def test_updates_are_sent_ahead_between_cases_and_inserts_wait_for_the_flush(posts, village, clock, standards,
                                                                              monkeypatch):
    sent = []
    send = unitofwork.UnitOfWork._send

    def spy(self, sql, rows, expected):
        sent.append((sql.split(" SET ")[0], len(rows), expected))
        return send(self, sql, rows, expected)
    monkeypatch.setattr(unitofwork.UnitOfWork, "_send", spy)
    ids = _apply(posts, [make_poor_household(posts.worker, village.code) for _ in range(3)])
    assert not [s for s in sent if "cases_case" in s[0]]     # the cases are inserted by this batch: held
    _take(posts.worker, "accept", ids)
    assert sent == [('UPDATE "cases_case"', 1, 1)] * 3
    assert set(Case.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"accepted"}
    assert verify_chain() is None


def test_sending_ahead_is_off_at_zero(posts, village, clock, standards, settings, monkeypatch):
    settings.WRITE_BATCH_SEND_EVERY = 0
    monkeypatch.setattr(unitofwork.UnitOfWork, "_send", lambda *args: pytest.fail("sent ahead"))
    ids = _apply(posts, [make_poor_household(posts.worker, village.code) for _ in range(2)])
    _take(posts.worker, "accept", ids)
    assert set(Case.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"accepted"}


def test_every_case_step_is_written_once_for_a_list_of_cases():
    """The page, the API and the batch take the same step: one `take` over a list, one case being
    a list of one (services.CaseStep); no step keeps a second, one-case implementation."""
    for action, step in steps.STEPS.items():
        assert isinstance(step.service, services.CaseStep), action
    assert not hasattr(__import__("safetynet.core.statements").core.statements, "active_batch")


def test_a_step_that_uses_what_it_did_not_read_fails_at_once(posts, village, clock, standards):
    """What a step reads for all its cases is named (services.Reads); a step using a read it did
    not make fails loudly instead of reading case by case."""
    case = walk(posts, make_poor_household(posts.worker, village.code), clock, to="verified")
    bare = services.CaseStep(services.give_town_opinion.take)      # no read
    with pytest.raises(TypeError):
        bare(actor=posts.worker, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).status == "verified"
