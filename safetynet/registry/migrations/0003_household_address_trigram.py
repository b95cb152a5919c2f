"""A trigram index on households' addresses, on PostgreSQL only, so the address part of the
registry search (registry/selectors.py) is an index lookup for queries of 3 characters or more.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. Where it cannot
be created the search still works, scanning the households in scope, so the migration goes on."""
import logging

from django.db import DatabaseError, migrations, transaction

logger = logging.getLogger(__name__)


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            schema_editor.execute(
                "CREATE INDEX IF NOT EXISTS household_address_trgm ON registry_household USING gin (address gin_trgm_ops)")
    except DatabaseError as exc:
        logger.warning("No trigram index on household addresses (address search will scan): %s", exc)


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS household_address_trgm")


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_search_indexes")]
    operations = [migrations.RunPython(create_trigram_index, drop_trigram_index)]
