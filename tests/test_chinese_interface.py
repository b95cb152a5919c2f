"""The Chinese interface, post by post (issue 15, items 12 and 13): every entry of a post's menu
opens (the menu offers no page the post may not see), a page the post may not see answers with
its reason in Chinese, and the main pages show no untranslated English
(`tests.untranslated.english_words_in`)."""
from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from safetynet.core.menu import MENU, menu_for
from tests.payments_helpers import Payroll, make_poor_household, walk
from tests.untranslated import english_in_context

ROLES = ("grid", "cadre", "worker", "leader", "officer", "county_leader", "inspector")


def _in_chinese(client, actor):
    client.force_login(get_user_model().objects.get(pk=actor.user_id))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def _menu_links(html: str) -> list[str]:
    """The links of the main menu as the page shows them (the bar's first list, its drop-downs
    included; a drop-down's own toggle is no link)."""
    import re

    menu = html.split('id="mainnav"', 1)[1].split('<ul class="navbar-nav">', 1)[0]   # up to the user menu
    return [href for href in re.findall(r'href="([^"]+)"', menu) if href != "#"]


def _untranslated(response) -> list[tuple[str, str]]:
    return english_in_context(response.content.decode())


@pytest.fixture
def office(posts, clock, standards, village, other_village, make_actor):
    """The posts of a county with one confirmed dibao case, enrolled, and a payroll run, worked
    in Chinese as a Chinese office works (a decision keeps the words it was taken in)."""
    from django.utils import translation

    from safetynet.payroll import services

    with translation.override("zh-hans"):
        household = make_poor_household(posts.worker, village.code)
        p = Payroll(posts, walk(posts, household, clock), village, other_village)
        p.run = services.generate_payroll_run(actor=p.posts.officer, county_code=p.village.code[:6], month="2025-10")
        p.sh_case = _special_hardship_case(posts, village, clock)
    p.posts.provider = make_actor("provider_worker", p.village.code[:9])
    return p


def _special_hardship_case(posts, village, clock):
    """A lone 75-year-old's special-hardship case, surveyed and verified, with a son who cannot
    support him: its page shows the supporters and the rule's breakdown."""
    from safetynet.cases import services as case_services
    from safetynet.cases.models import Case
    from safetynet.cases.supporters import record_supporter
    from safetynet.registry.services import create_household
    from tests.cases_helpers import D, investigators, new_id

    elder = create_household(actor=posts.worker, area_code=village.code, address="五保户", registration_type="urban",
                             members=[{"name": "孙五保", "id_number": new_id(D(1950, 5, 5)), "relation_to_head": "head",
                                       "work_ability": "none"}])
    case = walk(posts, elder, clock, to="accepted", program="special_hardship")
    record_supporter(actor=posts.worker, case_id=case.pk, name="孙大", relation="child", inability="imprisoned",
                     id_number=new_id(D(1975, 1, 1)))
    case_services.record_survey(actor=posts.worker, case_id=case.pk, conducted_on=clock(), investigators=investigators(),
                                findings="独居", signed_by_household=True,
                                daily_activities={k: True for k in ("eating", "dressing", "bed_transfer", "toileting",
                                                                    "walking_indoors", "bathing")})
    case_services.record_manual_verification(actor=posts.officer, case_id=case.pk, summary="无收入")
    return Case.objects.get(pk=case.pk)


def main_pages(p) -> list[str]:
    return [reverse("home"), reverse("cases:queue"), reverse("cases:list"), reverse("cases:detail", args=[p.case.pk]),
            reverse("registry:household_list"), reverse("registry:household_detail", args=[p.case.household_id]),
            reverse("areas:tree"), reverse("programs:index"), reverse("programs:standards", args=["dibao"]),
            reverse("payments:runs"), reverse("payments:run", args=[p.run.pk]), reverse("verification:data"),
            reverse("changes:queue"), reverse("calendar") + "?year=2025"]


@pytest.mark.parametrize("role", ROLES + ("provider",))
def test_every_menu_entry_opens_and_every_main_page_is_chinese(client, office, role):
    actor = getattr(office.posts, role)
    client = _in_chinese(client, actor)
    entries = menu_for(actor)
    home = client.get(reverse("home"))
    assert _menu_links(home.content.decode()) == [e["url"] for e in entries]
    for url in _menu_links(home.content.decode()):
        response = client.get(url, follow=True)
        assert response.status_code == 200, (role, url, response.status_code)
    hidden = [e.url_name for e in MENU if e.url_name not in {x["url_name"] for x in entries}]
    for url_name in hidden:
        if url_name == "changes:report_list":
            continue
        assert f'href="{reverse(url_name)}"' not in home.content.decode(), (role, url_name)
    # A post that sees only its assigned work (a provider's worker) finds no case it was not given.
    answers = (200, 403, 404) if actor.assigned_only else (200, 403)
    for url in main_pages(office):
        response = client.get(url, follow=True)
        assert response.status_code in answers, (role, url, response.status_code)
        if response.status_code == 403:
            assert 'data-testid="forbidden"' in response.content.decode(), (role, url)
        assert _untranslated(response) == [], (role, url, _untranslated(response))


def test_a_forbidden_page_says_why_in_the_users_language(client, office):
    grid = office.posts.grid
    zh = _in_chinese(client, grid).get(reverse("payments:runs"))
    body = zh.content.decode()
    assert zh.status_code == 403
    assert 'data-testid="forbidden"' in body and "无权访问" in body
    assert "Forbidden" not in body and _untranslated(zh) == []
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    en = client.get(reverse("payments:runs"))
    assert en.status_code == 403 and "Not allowed" in en.content.decode()


def test_the_calendar_names_holidays_in_chinese(client, office):
    from safetynet.core.workdays import seed_calendar

    seed_calendar()
    page = _in_chinese(client, office.posts.worker).get(reverse("calendar") + "?year=2025")
    body = page.content.decode()
    assert "国庆节" in body and "春节" in body
    assert _untranslated(page) == []
    assert "National Day" not in body


def test_the_decision_letter_cites_regulations_by_name(office):
    from safetynet.cases.letters import decision_letter_html
    from safetynet.programs.legal import internal_codes_in
    from tests.untranslated import english_words_in

    decision = office.case.decisions.first()
    html = decision_letter_html(office.case, decision)
    assert "《最低生活保障审核确认办法》" in html
    assert internal_codes_in(html) == []
    assert english_words_in(html) == []


def test_no_chinese_translation_names_an_internal_code():
    """Every Chinese string cites regulations by name: no POLICY.md, no MLG-2021, no SH-2021."""
    import re
    from pathlib import Path

    from safetynet.programs.legal import internal_codes_in

    po = Path(__file__).resolve().parent.parent / "safetynet/locale/zh_Hans/LC_MESSAGES/django.po"
    text = po.read_text(encoding="utf-8")
    offending = []
    for match in re.finditer(r'^msgstr ((?:"(?:[^"\\]|\\.)*"\n)+)', text, re.M):
        translation = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', match.group(1)))
        if internal_codes_in(translation):
            offending.append(translation)
    assert offending == []


@pytest.mark.parametrize("language, expected", [
    ("zh-hans", "《最低生活保障审核确认办法》第二十三条"),
    ("en", "Measures for the Review and Confirmation of Minimum Living Guarantees, art. 23"),
])
def test_a_rule_reference_reads_as_the_regulation_and_article(language, expected):
    from safetynet.programs import legal

    assert legal.readable("POLICY.md §1 · MLG-2021 art. 23", language) == expected
    assert legal.readable("POLICY.md §2", "zh-hans") == "《特困人员认定办法》"
    assert legal.cite("SH-2021", 21, 22, "zh-hans") == "《特困人员认定办法》第二十一条至第二十二条"
    assert legal.chinese_number(105) == "一百零五" and legal.chinese_number(14) == "十四"


def more_pages(p) -> list[str]:
    return [reverse("cases:new"), reverse("cases:overdue"), reverse("registry:household_create"),
            reverse("registry:import"), reverse("payments:enrollment", args=[p.base.pk]),
            reverse("changes:report_list"), reverse("changes:enrollment", args=[p.base.pk]),
            reverse("publicity:board", args=[p.village.code]), reverse("verification:runs"),
            reverse("verification:departments"), reverse("verification:proposals"),
            reverse("verification:household", args=[p.case.household_id]), reverse("payments:simulation"),
            reverse("payments:restandard"), reverse("programs:history", args=["dibao", "urban_standard"]),
            reverse("areas:import"), reverse("cases:detail", args=[p.sh_case.pk])]


@pytest.mark.parametrize("role", ("cadre", "worker", "officer", "county_leader"))
def test_the_working_pages_are_chinese(client, office, role):
    client = _in_chinese(client, getattr(office.posts, role))
    for url in more_pages(office):
        response = client.get(url, follow=True)
        assert response.status_code in (200, 403), (role, url, response.status_code)
        assert _untranslated(response) == [], (role, url, _untranslated(response))


@pytest.mark.django_db
def test_every_demo_login_opens_its_whole_menu_in_chinese(client, settings):
    """The demo county's logins (README's table): each menu entry answers 200, in Chinese."""
    from safetynet.areas.actors import actor_for_user, system_actor
    from safetynet.demo.generator import DEMO_STAFF, generate_demo_county

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    generate_demo_county(actor=system_actor(), people=600, seed=7)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for username in dict.fromkeys(u for u, _role, _where in DEMO_STAFF):
        user = get_user_model().objects.get(username=username)
        client.force_login(user)
        links = _menu_links(client.get(reverse("home")).content.decode())
        assert links == [e["url"] for e in menu_for(actor_for_user(user))] and links, username
        for url in links:
            response = client.get(url, follow=True)
            assert response.status_code == 200, (username, url, response.status_code)
            assert _untranslated(response) == [], (username, url, _untranslated(response))
        client.logout()


def test_the_public_pages_are_chinese(client, office):
    """What anyone sees without a login: the login page, the public self-check, the notice
    board of a village, a page that is not there."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    for url, status in ((reverse("login"), 200), (reverse("selfcheck:check"), 200),
                        (reverse("publicity:board", args=[office.village.code]), 200),
                        (reverse("publicity:board_print", args=[office.village.code]), 200), ("/no-such-page/", 404)):
        response = client.get(url)
        assert response.status_code == status, url
        assert _untranslated(response) == [], (url, _untranslated(response))


def test_an_expired_form_answers_in_chinese(office):
    from django.test import Client

    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(get_user_model().objects.get(pk=office.posts.worker.user_id))
    response = client.post(reverse("cases:new"), {"program": "dibao"})
    body = response.content.decode()
    assert response.status_code == 403 and 'data-testid="forbidden"' in body
    assert "页面已过期" in body and "CSRF" not in body and _untranslated(response) == []


def test_no_english_message_names_an_internal_code_either():
    """An English msgid that names a code (MLG-2021 art. 23) has an English msgstr citing the title."""
    import re
    from pathlib import Path

    from safetynet.programs.legal import internal_codes_in

    po = Path(__file__).resolve().parent.parent / "safetynet/locale/en/LC_MESSAGES/django.po"
    offending = []
    for entry in po.read_text(encoding="utf-8").split("\n\n"):
        msgid = re.search(r'^msgid ((?:"(?:[^"\\]|\\.)*"\n?)+)', entry, re.M)
        msgstr = re.search(r'^msgstr ((?:"(?:[^"\\]|\\.)*"\n?)+)', entry, re.M)
        if not msgid or not msgstr:
            continue
        source = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', msgid.group(1)))
        shown = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', msgstr.group(1))) or source
        if internal_codes_in(source) and internal_codes_in(shown):
            offending.append(source)
    assert offending == []


@pytest.mark.parametrize("role", ROLES + ("provider",))
def test_no_link_leads_to_a_forbidden_page(client, office, role):
    """Like the menu, the landing page, a case and a household link only what the post may open."""
    import re

    client = _in_chinese(client, getattr(office.posts, role))
    seen = set()
    for page in (reverse("home"), reverse("cases:detail", args=[office.case.pk]),
                 reverse("registry:household_detail", args=[office.case.household_id])):
        response = client.get(page)
        if response.status_code != 200:
            continue
        html = response.content.decode()
        links = sorted({href.replace("&amp;", "&") for href in re.findall(r'href="(/[^"#]*)"', html)
                        if not href.startswith("/static/")} - seen)
        seen.update(links)
        for url in links:
            answer = client.get(url, follow=True)
            assert answer.status_code == 200, (role, page, url, answer.status_code)
