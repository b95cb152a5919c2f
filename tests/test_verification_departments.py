"""Department logins and the department data page (issue 4, parts 1 and 5): a county officer
registers a department's login and issues it a token shown once; the token uploads that
department's datasets and nothing else; deactivating stops it. The page, the CLI and the services
refuse town workers and other areas; every write is audited."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from safetynet.core.errors import NotFound, PermissionDenied, ValidationError
from safetynet.core.idnumbers import make_id_number
from safetynet.verification import department_accounts as accounts
from safetynet.verification.models import DepartmentAccount, Snapshot
from tests.conftest import OTHER_TOWN, TOWN
from tests.verification_helpers import csv_bytes

ID1 = make_id_number("130123", dt.date(1970, 3, 1), 1, "male")
HEADER = ["id_number", "name", "bank", "balance", "as_of"]
GOOD = [[ID1, "张三", "中国农业银行", "1200.50", "2026-01-31"]]
VEHICLES = (["id_number", "plate", "vehicle_type"], [[ID1, "冀A12345", "car"]])
UPLOAD = "/api/v1/verification/snapshots"
HTMX = {"HTTP_HX_REQUEST": "true"}


def events(action):
    from safetynet.core.models import AuditEvent

    return AuditEvent.objects.filter(action=action)


def upload(client, secret, dataset, header, rows, name="d.csv"):
    return client.post(UPLOAD, {"dataset": dataset, "file": SimpleUploadedFile(name, csv_bytes(header, rows), "text/csv")},
                       HTTP_AUTHORIZATION=f"Bearer {secret}")


# --- services ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_registering_a_new_login_makes_a_token_only_user_at_the_county(vdata, officer, county):
    from django.contrib.auth import get_user_model

    account = accounts.register_department_account(actor=officer, username="tax_feed", department="tax")
    user = get_user_model().objects.get(username="tax_feed")
    assert account.user_id == user.pk and account.department == "tax" and account.is_active
    assert not user.has_usable_password() and user.is_active
    assert account.post.role == "institution" and account.post.area_id == county.code
    assert account.created_by == officer.username
    event = events("verification.register_department_account").get()
    assert event.username == officer.username and event.object_id == str(account.pk)
    # Registering again changes the department, keeps one account and one post.
    again = accounts.register_department_account(actor=officer, username="tax_feed", department="hrss")
    assert again.pk == account.pk and again.department == "hrss" and again.post_id == account.post_id
    assert DepartmentAccount.objects.count() == 1 and user.posts.count() == 1


@pytest.mark.django_db
def test_only_the_county_office_registers_and_only_in_its_area(vdata, officer, make_actor):
    for role, area in (("town_worker", TOWN), ("town_leader", TOWN), ("county_leader", "130123"), ("inspector", "130123"),
                       ("institution", "130123")):
        with pytest.raises(PermissionDenied):
            accounts.register_department_account(actor=make_actor(role, area), username="x_feed", department="tax")
    account = accounts.register_department_account(actor=officer, username="tax_feed", department="tax")
    elsewhere = make_actor("county_officer", OTHER_TOWN)   # an office whose area does not hold the county's login
    with pytest.raises(NotFound):
        accounts.register_department_account(actor=elsewhere, username="tax_feed", department="finance")
    with pytest.raises(NotFound):
        accounts.deactivate_department_account(actor=elsewhere, account_id=account.pk)
    with pytest.raises(NotFound):
        accounts.issue_department_token(actor=elsewhere, account_id=account.pk)
    assert not accounts.accounts_in_scope(elsewhere).exists()
    with pytest.raises(NotFound):
        accounts.register_department_account(actor=officer, username="new_feed", department="tax", area_code="110101")
    assert not DepartmentAccount.objects.filter(department="finance").exists()
    assert events("verification.register_department_account").count() == 1


@pytest.mark.django_db
def test_a_staff_login_never_becomes_a_department(vdata, officer, make_actor):
    worker = make_actor("town_worker", TOWN, username="wang_town")
    with pytest.raises(ValidationError) as caught:
        accounts.register_department_account(actor=officer, username="wang_town", department="finance")
    assert caught.value.field == "username"
    with pytest.raises(ValidationError):
        accounts.register_department_account(actor=officer, username="bad name!", department="finance")
    assert not DepartmentAccount.objects.exists() and worker.role == "town_worker"


@pytest.mark.django_db
def test_token_of_a_department_uploads_its_datasets_only_until_deactivated(vdata, officer, client):
    account = accounts.register_department_account(actor=officer, username="bank_feed", department="finance")
    token, secret = accounts.issue_department_token(actor=officer, account_id=account.pk, name="银行前置机")
    assert token.post_id == account.post_id and token.name == "银行前置机" and secret.startswith("sn_")
    assert events("verification.issue_department_token").get().object_id == str(account.pk)

    ok = upload(client, secret, "deposits", HEADER, GOOD)
    assert ok.status_code == 201, ok.content
    assert Snapshot.objects.get(dataset="deposits").uploaded_by == "bank_feed"
    other = upload(client, secret, "vehicles", *VEHICLES, name="v.csv")      # another department's dataset
    assert other.status_code == 403 and other.json()["code"] == "wrong_department"
    assert not Snapshot.objects.filter(dataset="vehicles").exists()
    # The token reads nothing: it is a department's, not a post's that sees households.
    assert client.get("/api/v1/households", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 403

    accounts.deactivate_department_account(actor=officer, account_id=account.pk, reason="换机")
    account.refresh_from_db()
    assert not account.is_active and account.deactivated_by == officer.username
    assert upload(client, secret, "deposits", HEADER, GOOD, name="again.csv").status_code == 401
    with pytest.raises(Exception) as caught:
        accounts.issue_department_token(actor=officer, account_id=account.pk)
    assert caught.value.code == "account_inactive"
    assert events("verification.deactivate_department_account").get().after["tokens_revoked"] == 1


@pytest.mark.django_db
def test_a_revoked_token_stops_and_the_others_go_on(vdata, officer, client):
    account = accounts.register_department_account(actor=officer, username="bank_feed", department="finance")
    first, first_secret = accounts.issue_department_token(actor=officer, account_id=account.pk)
    _second, second_secret = accounts.issue_department_token(actor=officer, account_id=account.pk)
    accounts.revoke_department_token(actor=officer, account_id=account.pk, token_id=first.pk)
    assert upload(client, first_secret, "deposits", HEADER, GOOD).status_code == 401
    assert upload(client, second_secret, "deposits", HEADER, GOOD).status_code == 201


@pytest.mark.django_db
def test_a_deactivated_login_that_still_acts_may_not_import(vdata, officer, make_actor):
    """Even with a session somewhere, a deactivated department's post holds no permission."""
    from safetynet.verification.services import import_snapshot

    bank = make_actor("institution", "130123", username="bank_feed")
    account = accounts.register_department_account(actor=officer, username="bank_feed", department="finance")
    accounts.deactivate_department_account(actor=officer, account_id=account.pk)
    with pytest.raises(PermissionDenied):
        import_snapshot(actor=bank, dataset_code="deposits", source=csv_bytes(HEADER, GOOD), filename="d.csv")


# --- the page ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_department_logins_page(vdata, county, client_for, client):
    page = client_for("county_officer", "130123")
    listing = page.get("/verification/departments/")
    assert listing.status_code == 200 and "/verification/departments/register/" in listing.content.decode()

    made = page.post("/verification/departments/register/", {"username": "tax_feed", "department": "tax"}, **HTMX)
    assert made.status_code == 200 and "tax_feed" in made.content.decode()
    assert "<html" not in made.content.decode()            # the section only, swapped in place
    account = DepartmentAccount.objects.get(user__username="tax_feed")

    bad = page.post("/verification/departments/register/", {"username": "tax feed!", "department": "tax"}, **HTMX)
    assert bad.status_code == 422 and "tax feed!" in bad.content.decode()   # kept as typed, error beside it

    issued = page.post(f"/verification/departments/{account.pk}/tokens/", {"name": "税务前置机"}, **HTMX)
    body = issued.content.decode()
    assert issued.status_code == 200 and issued["Cache-Control"] == "no-store"
    token = account.user.api_tokens.get()
    assert 'data-testid="token-secret"' in body and f">{token.prefix}" in body
    secret = body.split('data-testid="token-secret">')[1].split("<")[0]
    from safetynet.core.apiauth import hash_token

    assert hash_token(secret) == token.token_hash                       # the one showing of the secret
    assert secret not in page.get("/verification/departments/").content.decode()   # and never again

    revoked = page.post(f"/verification/departments/{account.pk}/tokens/{token.pk}/revoke/")
    assert revoked.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None

    stopped = page.post(f"/verification/departments/{account.pk}/deactivate/", **HTMX)
    assert stopped.status_code == 200 and 'data-active="0"' in stopped.content.decode()
    twice = page.post(f"/verification/departments/{account.pk}/deactivate/", **HTMX)
    assert twice.status_code == 409


@pytest.mark.django_db
def test_department_logins_page_refuses_town_and_other_areas(vdata, officer, client_for, client):
    account = accounts.register_department_account(actor=officer, username="tax_feed", department="tax")
    town = client_for("town_worker", TOWN)
    assert town.get("/verification/departments/").status_code == 403
    assert town.post("/verification/departments/register/", {"username": "x", "department": "tax"}).status_code == 403
    assert town.post(f"/verification/departments/{account.pk}/tokens/").status_code == 403
    assert town.post(f"/verification/departments/{account.pk}/deactivate/").status_code == 403
    client.logout()
    other = client_for("county_officer", OTHER_TOWN)
    assert "tax_feed" not in other.get("/verification/departments/").content.decode()
    assert other.post(f"/verification/departments/{account.pk}/tokens/").status_code == 404
    assert other.post(f"/verification/departments/{account.pk}/deactivate/").status_code == 404
    account.refresh_from_db()
    assert account.is_active and not account.user.api_tokens.exists()


# --- the CLI ----------------------------------------------------------------------------------

@pytest.mark.django_db
def test_department_command_registers_lists_and_deactivates(vdata, county):
    out = io.StringIO()
    call_command("department", "register", "--username", "hrss_feed", "--department", "hrss", stdout=out)
    assert "hrss_feed" in out.getvalue() and "safetynet token create hrss_feed" in out.getvalue()
    account = DepartmentAccount.objects.get(user__username="hrss_feed")
    assert account.post.area_id == county.code                         # the only county, by default
    assert events("verification.register_department_account").get().username == "system"

    listed = io.StringIO()
    call_command("department", "list", stdout=listed)
    assert "hrss_feed\thrss\t130123\tactive" in listed.getvalue() and "market_regulation" in listed.getvalue()

    with pytest.raises(CommandError, match="No such department"):
        call_command("department", "register", "--username", "x_feed", "--department", "army")
    call_command("department", "deactivate", "--username", "hrss_feed", stdout=io.StringIO())
    account.refresh_from_db()
    assert not account.is_active
    with pytest.raises(CommandError, match="not a department login"):
        call_command("department", "deactivate", "--username", "nobody")


# --- the department data page and the import command ------------------------------------------

@pytest.mark.django_db
def test_data_page_imports_a_snapshot_and_reports_bad_rows(vdata, county, client_for):
    page = client_for("county_officer", "130123")
    assert page.get("/verification/data/").status_code == 200
    stored = page.post("/verification/data/", {"dataset": "deposits", "taken_on": "2026-02-01",
                                               "file": SimpleUploadedFile("存款.csv", csv_bytes(HEADER, GOOD))})
    assert stored.status_code == 302 and stored["Location"] == "/verification/data/"
    snapshot = Snapshot.objects.get(dataset="deposits")
    assert snapshot.taken_on == dt.date(2026, 2, 1) and snapshot.uploaded_by == page.actor.username
    listing = page.get("/verification/data/").content.decode()
    assert "存款.csv" in listing and "2026-02-01" in listing

    rows = GOOD + [[ID1, "张三", "中国农业银行", "ten", "2026-01-31"]]
    rejected = page.post("/verification/data/", {"dataset": "deposits",
                                                 "file": SimpleUploadedFile("bad.csv", csv_bytes(HEADER, rows))})
    body = rejected.content.decode()
    assert rejected.status_code == 422 and 'data-testid="bad-rows"' in body
    assert "<td>3</td><td>balance</td><td class=\"text-break\">ten</td>" in body   # row, column, value, reason
    assert Snapshot.objects.count() == 1                                  # nothing stored half
    sheet_url = body.split('href="/verification/data/errors/')[1].split('"')[0]
    sheet = page.get(f"/verification/data/errors/{sheet_url}")
    assert sheet.status_code == 200 and sheet.getvalue()[:2] == b"PK"

    wrong = page.post("/verification/data/", {"dataset": "deposits",
                                              "file": SimpleUploadedFile("d.xlsx", csv_bytes(HEADER, GOOD[:0]))})
    assert wrong.status_code == 422 and Snapshot.objects.count() == 1


@pytest.mark.django_db
def test_data_page_refuses_who_may_not_import(vdata, county, client_for, client):
    town = client_for("town_worker", TOWN)
    assert town.get("/verification/data/").status_code == 200              # reads what data is current
    assert "import-snapshot" not in town.get("/verification/data/").content.decode()
    assert town.post("/verification/data/", {"dataset": "deposits",
                                             "file": SimpleUploadedFile("d.csv", csv_bytes(HEADER, GOOD))}).status_code == 403
    assert not Snapshot.objects.exists()
    client.logout()
    assert client_for("grid_worker", TOWN).get("/verification/data/").status_code == 403


@pytest.mark.django_db
def test_import_command(vdata, county, tmp_path):
    good = tmp_path / "deposits.csv"
    good.write_bytes(csv_bytes(HEADER, GOOD))
    out = io.StringIO()
    call_command("verification_import", str(good), "--dataset", "deposits", "--taken-on", "2026-02-01", stdout=out)
    assert "Stored snapshot" in out.getvalue()
    again = io.StringIO()
    call_command("verification_import", str(good), "--dataset", "deposits", stdout=again)
    assert "already stored" in again.getvalue() and Snapshot.objects.count() == 1

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(HEADER, GOOD + [[ID1, "张三", "中国农业银行", "-5", "2026-01-31"]]))
    sheet = tmp_path / "errors.xlsx"
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("verification_import", str(bad), "--dataset", "deposits", "--error-sheet", str(sheet), stderr=err)
    assert caught.value.returncode == 1
    assert "row 3" in err.getvalue() and "Duplicate key" in err.getvalue() and "Cannot be negative." in err.getvalue()
    assert sheet.read_bytes()[:2] == b"PK" and Snapshot.objects.count() == 1
    with pytest.raises(CommandError, match="No such dataset"):
        call_command("verification_import", str(good), "--dataset", "lottery")
