"""Prepared reads and single-row inserts (core/statements.py): same rows as the queryset, and
arguments the SQL would mishandle are refused, never silently ignored."""
import datetime as dt
from decimal import Decimal as D

import pytest

from safetynet.core.statements import Prepared, insert_row
from safetynet.registry.models import Household, Person


@pytest.mark.django_db
def test_prepared_rows_match_the_queryset_and_prefix_lookups_work(village):
    household = insert_row(Household(area_id=village.code, address="测试路1号", registration_type="rural"))
    by_id = Prepared(lambda pk: Household.objects.filter(pk=pk).values_list("address"))
    by_area = Prepared(lambda code: Household.objects.filter(area__code__startswith=code).values_list("id"))
    assert by_id.first(household.pk) == ("测试路1号",)
    assert by_id.first(household.pk + 1000) is None
    assert (household.pk,) in by_area.rows(village.code[:9])
    assert by_area.rows("999") == []
    assert Prepared(lambda pk: Household.objects.filter(pk=pk)).objects(household.pk)[0].address == "测试路1号"


@pytest.mark.django_db
def test_none_and_unused_arguments_are_refused(village):
    by_person = Prepared(lambda pk: Person.objects.filter(pk=pk).values_list("id"))
    with pytest.raises(ValueError):
        by_person.rows(None)
    with pytest.raises(ValueError):
        by_person.rows(dt.date(2026, 1, 1))
    ignores = Prepared(lambda pk, unused: Person.objects.filter(pk=pk).values_list("id"))
    with pytest.raises(ValueError):
        ignores.rows(1, 2)


@pytest.mark.django_db
def test_lists_for_in_lookups_are_compiled_per_length_or_sent_as_an_array(village):
    from django.db import connection

    homes = [insert_row(Household(area_id=village.code, address=f"测试路{n}号", registration_type="rural")) for n in range(3)]
    ids = [h.pk for h in homes]
    by_ids = Prepared(lambda pks, code: Household.objects.filter(pk__in=pks, area_id=code).order_by("id").values_list("address"))
    assert by_ids.rows(ids, village.code) == [("测试路0号",), ("测试路1号",), ("测试路2号",)]
    assert by_ids.rows(ids[:1], village.code) == [("测试路0号",)]
    assert by_ids.rows([ids[2], ids[2]], village.code) == [("测试路2号",)]     # a repeated value
    assert by_ids.rows(ids, "999") == []
    for bad in ([], [None], [dt.date(2026, 1, 1)]):
        with pytest.raises(ValueError):
            by_ids.rows(bad, village.code)
    many = list(range(10_000_000, 10_000_200)) + ids        # more than psycopg converts once (50)
    assert by_ids.rows(many, village.code) == [("测试路0号",), ("测试路1号",), ("测试路2号",)]
    codes = Prepared(lambda codes: Household.objects.filter(area_id__in=codes).exclude(pk__in=[0]).values_list("id"))
    assert sorted(codes.rows([village.code, "999"])) == sorted((pk,) for pk in ids)
    sql = by_ids._compiled((ids, village.code))[0]
    if connection.vendor == "postgresql":
        assert "= ANY(%s)" in sql and " IN (" not in sql
        assert by_ids._compiled((ids[:1], village.code))[0] is sql       # one text for every length
    else:
        assert " IN (%s, %s, %s)" in sql


@pytest.mark.django_db
def test_update_where_updates_only_matching_rows_and_refuses_null_conditions(village):
    from safetynet.core.statements import update_where

    homes = [insert_row(Household(area_id=village.code, address=f"旧路{n}号", registration_type="rural")) for n in range(2)]
    assert update_where(Household, {"address": "新路1号"}, id=homes[0].pk, address="旧路0号") == 1
    assert update_where(Household, {"address": "新路1号"}, id=homes[0].pk, address="旧路0号") == 0   # already moved
    assert list(Household.objects.filter(pk__in=[h.pk for h in homes]).order_by("id").values_list("address", flat=True)) \
        == ["新路1号", "旧路1号"]
    with pytest.raises(ValueError):
        update_where(Household, {"address": "x"}, id=None)
    with pytest.raises(ValueError):
        update_where(Household, {}, id=homes[0].pk)


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_db_value_passes_plain_values_and_converts_the_rest_as_the_field_would():
    from django.db import connection

    from safetynet.cases.models import Case
    from safetynet.core.statements import db_value
    from safetynet.enrollments.models import Enrollment

    for model in (Case, Enrollment, Household, Person):
        for field in model._meta.concrete_fields:
            if field.get_internal_type() == "JSONField":    # converted the same way, into objects without ==
                continue
            for value in ("12", 12, True, None, dt.date(2026, 3, 1), D("12.50")):
                try:
                    expected = field.get_db_prep_save(value, connection)
                except Exception:       # a value the field refuses: not ours to judge
                    continue
                got = db_value(field, value)
                assert got == expected and type(got) is type(expected), (model, field.name, value, got, expected)


@pytest.mark.django_db
@pytest.mark.skipif("not __import__('django.db').db.connection.vendor == 'postgresql'", reason="PostgreSQL prepares statements")
def test_hot_statements_are_prepared_on_postgresql_and_left_whole_while_queries_are_logged(village, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    by_id = Prepared(lambda pk: Household.objects.filter(pk=pk).values_list("address"))
    home = insert_row(Household(area_id=village.code, address="预备路1号", registration_type="rural"))
    assert by_id.first(home.pk) == ("预备路1号",)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"registry_household"' in text and "$1" in text for text in prepared), prepared
    with CaptureQueriesContext(connection) as logged:
        assert by_id.first(home.pk) == ("预备路1号",)
    assert str(home.pk) in logged[0]["sql"]          # the log shows the statement with its value
    settings.PREPARED_STATEMENTS = False
    assert by_id.first(home.pk) == ("预备路1号",)


@pytest.mark.django_db
@pytest.mark.filterwarnings("ignore:.*received a naive datetime")   # a date given to a DateTimeField
def test_db_value_gives_what_django_gives_for_every_field():
    """The short cut converts exactly as `get_db_prep_save` does (value and type: on PostgreSQL
    an int goes out wrapped in the column's sized type), for every field of every model."""
    from django.apps import apps
    from django.db import connection

    from safetynet.core.statements import db_value

    samples = {int: [7, 2 ** 33], str: ["", "正定县"], bool: [True, False],
               dt.date: [dt.date(2026, 3, 1)],
               dt.datetime: [dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.timezone.utc)]}
    checked = 0
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            for kind, values in samples.items():
                for value in values:
                    try:
                        expected = field.get_db_prep_save(value, connection)
                    except Exception:
                        continue
                    got = db_value(field, value, connection)
                    assert type(got) is type(expected), (model, field.name, value)
                    assert got == expected or repr(got) == repr(expected), (model, field.name, value)  # (Jsonb has no ==)
                    checked += 1
    assert checked > 500


def test_db_value_leaves_a_naive_datetime_to_django():
    """Only aware datetimes skip the conversion: a naive one is made aware in the project's time
    zone by Django (with its warning), never sent to the database as it is."""
    from django.db import connection

    from safetynet.core.models import AuditEvent
    from safetynet.core.statements import db_value

    field = AuditEvent._meta.get_field("at")
    naive = dt.datetime(2026, 3, 1, 8, 30)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        expected = field.get_db_prep_save(naive, connection)
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        assert db_value(field, naive, connection) == expected
