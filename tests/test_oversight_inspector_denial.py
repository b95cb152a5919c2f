"""An inspector's write attempt on any endpoint is refused (issue 18, "Bad input"): inspectors
(`inspector`: finance, audit, people's deputies; `supervisor`: supervision) read, export and record
findings, and write nothing else.

For every API operation of the OpenAPI document that is not a GET (path parameters filled with
real ids, a body built from the operation's own schema so that the refusal is the post's, not the
input's) and every page URL pattern, POSTed to, as an inspector's and as a supervisor's post: the
answer is a refusal (403/404/405/422, never a 2xx or 3xx success on the API, never a redirect
after a write on a page), and nothing in the database changed: the row count of every model and
the audit ledger's length. The findings endpoints are the one exception, and are shown to work.
"""
from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver

from safetynet.areas.models import Post
from safetynet.core.models import AuditEvent
from safetynet.discovery import referral_services
from safetynet.discovery import services as discovery_services
from safetynet.discovery.warning_models import WarningCause
from safetynet.oversight import complaints, inspections
from safetynet.payroll import services as payroll_services
from safetynet.workforce import relatives as register
from safetynet.workforce.services import register_staff_identity
from tests.cases_helpers import D, make_poor_household, new_id
from tests.conftest import COUNTY, TOWN

FINDINGS_API = "/api/v1/oversight/inspections/findings"
FINDINGS_PAGES = ("oversight/inspections/findings/",)
# Writes to the visitor's own session only, no data: choosing which of one's posts to act as.
SESSION_ONLY = ("switch-post/",)
PUBLIC_PREFIXES = ("login/", "logout/", "healthz", "i18n/", "check/", "notices/", "api/v1/", "static/", "media/")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Models whose rows a read may add without anyone writing: a login's session.
NOT_WRITES = {"sessions.session"}


@pytest.fixture
def world(payroll, clock, make_actor):
    """A county with something behind every path: a confirmed case and its enrollment, a payroll
    run, a lead and a referral agency, a staff identity with a declared relative, a finding."""
    p = payroll
    officer, worker = p.posts.officer, p.posts.worker
    p.run = payroll_services.generate_payroll_run(actor=officer, county_code=COUNTY, month="2025-10")
    p.lead = discovery_services.open_lead(worker, discovery_services.LeadInput(
        source="walk_in", cause="income_drop", household_id=p.case.household_id, description="失业")).lead
    p.agency = referral_services.save_agency(actor=officer, kind="employment", name="县人社局就业服务中心")
    p.identity = register_staff_identity(actor=officer, name="周委员", id_number=new_id(D(1977, 7, 7)),
                                         area_code=p.village.code, kind="village_committee")
    other = make_poor_household(worker, p.village.code)
    p.declaration = register.declare_relative(actor=worker, staff_identity_id=p.identity.pk, name=other.head.name,
                                              id_number=other.head.id_number, relation="sibling",
                                              declared_on=clock())
    author = make_actor("inspector", COUNTY)
    p.finding = inspections.record_finding(actor=author, office_code=TOWN, subject="抽查", text="台账", on=clock())
    p.complaint = complaints.file_complaint(worker, complaints.ComplaintInput(
        channel="hotline", category="procedure", content="申请两个月没有人来入户", area_code=p.village.code)).complaint
    return p


def _first_pk(label: str, default=1):
    model = apps.get_model(label)
    return model.objects.order_by("pk").values_list("pk", flat=True).first() or default


def _path_values(p) -> dict[str, object]:
    household = p.base.household
    return {"code": COUNTY, "household_id": household.pk, "person_id": household.head_id, "case_id": p.case.pk,
            "run_id": p.run.pk, "enrollment_id": p.base.pk, "key": "urban_standard", "name": "x.csv",
            "job_id": "0" * 32, "supporter_id": _first_pk("cases.Supporter"),
            "result_id": _first_pk("verification.HouseholdResult"), "recheck_id": _first_pk("enrollments.Recheck"),
            "overpayment_id": _first_pk("enrollments.Overpayment"), "proposal_id": _first_pk("enrollments.ChangeProposal"),
            "pending_id": _first_pk("enrollments.PendingEnding"), "lead_id": p.lead.pk, "referral_id": _first_pk(
                "discovery.Referral"), "agency_id": p.agency.pk, "entry_id": _first_pk("discovery.MonitoredHousehold"),
            "declaration_id": p.declaration.pk, "finding_id": p.finding.pk, "action": "accept", "kind": "cases",
            "attachment_id": 1, "cause": WarningCause.values[0], "village_code": p.village.code,
            "notice_id": _first_pk("publicity.Notice"), "relative_id": household.head_id,
            "account_id": _first_pk("verification.DepartmentAccount"), "token_id": _first_pk("areas.ApiToken"),
            "report_id": _first_pk("discovery.GridReport"), "complaint_id": p.complaint.pk,
            "campaign_id": _first_pk("oversight.SpotCheckCampaign"), "item_id": _first_pk("oversight.SpotCheckItem"),
            "provider_id": _first_pk("services.Provider"), "contract_id": _first_pk("services.Contract"),
            "task_id": _first_pk("services.ServiceTask"), "worker_id": _first_pk("services.ProviderWorker"),
            "staff_id": p.identity.pk, "course_id": _first_pk("workforce.TrainingCourse"),
            "session_id": _first_pk("workforce.TrainingSession"), "pair_id": _first_pk("workforce.MentoringPair"),
            "project_id": _first_pk("services.ServiceProject"), "milestone_id": _first_pk("services.Milestone"),
            "deliberation_id": _first_pk("cases.Deliberation"), "statement_id": _first_pk("funding.SubsidyStatement"),
            "line_id": _first_pk("funding.BudgetLine"), "assignment_id": _first_pk("workload.WorkAssignment"),
            "category_code": "dibao", "certification_id": _first_pk("medical.Certification"),
            "institution_id": _first_pk("medical.Institution"), "key_id": _first_pk("medical.InstitutionKey")}


# ---------------------------------------------------------------------------------------------
# A body an office could have sent, from the operation's schema
# ---------------------------------------------------------------------------------------------
def _deref(schema: dict, document: dict) -> dict:
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 20:
        node = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema, seen = node, seen + 1
    return schema


def _by_name(name: str, p) -> object | None:
    household = p.base.household
    named = {"county": COUNTY, "county_code": COUNTY, "town": TOWN, "office": TOWN, "area": p.village.code,
             "area_code": p.village.code, "household": household.pk, "household_id": household.pk,
             "applicant": household.head_id, "person": household.head_id, "person_id": household.head_id,
             "relative": household.head_id, "case": p.case.pk, "case_id": p.case.pk, "enrollment": p.base.pk,
             "month": "2025-11", "program": "dibao", "id_number": new_id(D(1966, 6, 6)), "staff_identity": p.identity.pk,
             "agencies": [p.agency.pk], "case_ids": [p.case.pk], "cases": [p.case.pk], "lead": p.lead.pk}
    return named.get(name)


PATTERN_CANDIDATES = (COUNTY, TOWN, "130123100001", "2025-11", "2025-11-03", "dibao", "x", "1", "某人")


def _value(schema: dict, document: dict, p, name: str = "", depth: int = 0):
    schema = _deref(schema, document)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if _deref(o, document).get("type") != "null"] or schema[key]
            return _value(options[0], document, p, name, depth + 1)
    if "allOf" in schema:
        return _value(schema["allOf"][0], document, p, name, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    typ = schema.get("type")
    known = _by_name(name, p)
    if known is not None and not (typ == "array" and not isinstance(known, list)):
        return known
    if typ == "object" or "properties" in schema:
        if depth > 4:
            return {}
        props = schema.get("properties", {})
        return {k: _value(v, document, p, k, depth + 1) for k, v in props.items() if k in schema.get("required", [])}
    if typ == "array":
        items = _value(schema.get("items", {}), document, p, name, depth + 1)
        return [items] * max(1, schema.get("minItems", 1))
    if typ == "integer":
        return max(1, schema.get("minimum", 1))
    if typ == "number":
        return "100.00" if "pattern" in schema else 100
    if typ == "boolean":
        return True
    if typ == "string":
        if schema.get("format") == "date":
            return "2025-11-03"
        if schema.get("format") == "date-time":
            return "2025-11-03T09:00:00+08:00"
        pattern = schema.get("pattern")
        if pattern:
            for candidate in PATTERN_CANDIDATES:
                if re.search(pattern, candidate):
                    return candidate
        return "核实情况" if schema.get("minLength", 0) <= 4 else "核实情况" * schema["minLength"]
    return "x"


def _operations(client):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        if path.startswith("/api/v1/public/"):
            continue
        for method, operation in operations.items():
            if method != "get":
                yield document, path, method, operation


def _counts() -> dict[str, int]:
    return {m._meta.label_lower: m.objects.count() for m in apps.get_models()
            if m._meta.label_lower not in NOT_WRITES and not m._meta.proxy}


def _inspector_posts(make_actor):
    inspector = make_actor("inspector", COUNTY)
    supervisor = make_actor("supervisor", COUNTY)
    Post.objects.filter(pk=inspector.post_id).update(title="县财政局")
    Post.objects.filter(pk=supervisor.post_id).update(title="县纪委监委")
    return [inspector, supervisor]


def _as(client, actor):
    client.logout()
    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    return client


def test_every_api_write_is_refused_to_inspectors(client, world, make_actor):
    values = _path_values(world)
    for actor in _inspector_posts(make_actor):
        _as(client, actor)
        before, ledger = _counts(), AuditEvent.objects.count()
        answers: dict[tuple, int] = {}
        for document, path, method, operation in _operations(client):
            if path.startswith(FINDINGS_API):
                continue
            url = re.sub(r"\{(\w+)\}", lambda m: str("dibao" if m.group(1) == "code" and path.startswith(
                "/api/v1/programs") else values[m.group(1)]), path)
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = _value(content["application/json"]["schema"], document, world)
                response = client.generic(method.upper(), url, _json(body), content_type="application/json")
            elif "multipart/form-data" in content:
                response = client.post(url, {}) if method == "post" else client.generic(method.upper(), url)
            else:
                response = client.generic(method.upper(), url)
            answers[(method, path)] = response.status_code
            assert AuditEvent.objects.count() == ledger, (actor.role, method, path, response.status_code)
        wrong = {k: s for k, s in answers.items() if s not in (403, 404, 405, 422)}
        assert wrong == {}, (actor.role, wrong)
        tally = Counter(answers.values())
        # The refusals are the post's, not the input's: most operations get 403 for the role.
        assert len(answers) > 60 and tally[403] > len(answers) // 2, (actor.role, tally,
                                                                         sorted(k for k, s in answers.items() if s == 422))
        assert _counts() == before and AuditEvent.objects.count() == ledger
        print(actor.role, dict(tally))


def _json(body) -> str:
    return json.dumps(body, default=str)


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def _page_path(route: str, values: dict) -> str:
    path = re.sub(r"<(?:int|str|slug|path):(\w+)>", lambda m: str(values.get(m.group(1), 1)), route)
    path = re.sub(r"<(\w+)>", lambda m: str(values.get(m.group(1), "x")), path)
    return "/" + path.lstrip("^").rstrip("$")


def test_every_page_post_is_refused_to_inspectors(client, world, make_actor):
    values = _path_values(world)
    routes = sorted({route for route, _ in _patterns() if not route.startswith(PUBLIC_PREFIXES) and "(?P" not in route})
    for actor in _inspector_posts(make_actor):
        _as(client, actor)
        before, ledger = _counts(), AuditEvent.objects.count()
        answers = {}
        for route in routes:
            if route.startswith(FINDINGS_PAGES + SESSION_ONLY):
                continue
            path = _page_path(route, values)
            response = client.post(path, {"action": "accept", "reason": "核实", "note": "核实", "answer": "核实",
                                          "file": SimpleUploadedFile("证明.pdf", PDF, "application/pdf")})
            answers[route] = response.status_code
            assert AuditEvent.objects.count() == ledger, (actor.role, path, response.status_code)
            # A page that only reads may show itself (200) as to a GET, having written nothing; a
            # redirect is a refusal when what it carries to the next page is an error, or when the
            # page sends a GET to the same place (an index page pointing at its first page).
            assert response.status_code in (200, 302, 400, 403, 404, 405, 422), (actor.role, path, response.status_code)
            if response.status_code == 302:
                said = [(m.level, str(m)) for m in get_messages(response.wsgi_request)]
                if said:
                    assert all(level == messages.ERROR for level, _ in said), (actor.role, path, said)
                else:
                    assert client.get(path).get("Location") == response["Location"], (actor.role, path)
        assert _counts() == before and AuditEvent.objects.count() == ledger
        tally = Counter(answers.values())
        assert tally[403] + tally[404] + tally[405] > len(answers) // 2, (actor.role, tally)
        print(actor.role, dict(tally), sorted(r for r, s in answers.items() if s == 200))


def test_findings_are_the_one_write_inspectors_make(client, world, make_actor, clock):
    for actor in _inspector_posts(make_actor):
        _as(client, actor)
        ledger = AuditEvent.objects.count()
        made = client.post(FINDINGS_API, {"office": TOWN, "subject": "资金拨付", "text": "10 月资金晚拨 5 天"},
                           content_type="application/json")
        assert made.status_code == 201 and made.json()["body"] in ("县财政局", "县纪委监委")
        assert AuditEvent.objects.count() == ledger + 1
        # ... and not the office's answer to it.
        answer = client.post(f"{FINDINGS_API}/{made.json()['id']}/answer", {"answer": "已整改"},
                             content_type="application/json")
        assert answer.status_code == 403
        page = client.post("/oversight/inspections/findings/new/", {"office": TOWN, "subject": "台账", "text": "缺页"})
        assert page.status_code == 302
