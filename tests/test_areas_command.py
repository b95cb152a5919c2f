"""`safetynet areas_import FILE`: counts on stdout, every bad row on stderr, exit code 1."""
from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import DIVISIONS, TOWN


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("areas_import", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_good_file_prints_counts(db):
    from safetynet.areas.models import Area
    from safetynet.core.models import AuditEvent

    out, err = run(str(DIVISIONS))
    assert "added 200" in out and "bad rows 0" in out
    assert err == ""
    assert Area.objects.count() == 200
    assert AuditEvent.objects.get(action="areas.import").username == "system"
    out, _ = run(str(DIVISIONS))
    assert "added 0" in out and "unchanged 200" in out


def test_bad_rows_are_printed_and_exit_1(county, tmp_path):
    from openpyxl import load_workbook

    path = tmp_path / "bad.csv"
    path.write_text(f"code,name,urban_rural_class\n{TOWN}950,新村,220\n{TOWN}951,错类村,999\nABC,坏,\n", encoding="utf-8")
    sheet = tmp_path / "errors.xlsx"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("areas_import", str(path), "--error-sheet", str(sheet), stdout=out, stderr=err)
    assert caught.value.returncode == 1
    assert "added 1" in out.getvalue() and "bad rows 2" in out.getvalue()
    lines = err.getvalue().strip().splitlines()
    assert lines[0].startswith("bad.csv, row 3: urban_rural_class:")
    assert lines[1].startswith("bad.csv, row 4: code:")
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [3, 4]


def test_unreadable_file_and_missing_file(db, tmp_path):
    path = tmp_path / "list.xlsx"
    path.write_bytes(b"code,name\n13,x\n")
    with pytest.raises(CommandError, match="Excel"):
        run(str(path))
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "missing.csv"))


def test_the_safetynet_console_command_exits_1(tmp_path):
    """Through the real console script on a throw-away database: the exit code scripts see."""
    import os

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "SAFETYNET_DATA_DIR": str(tmp_path)}
    safetynet = [sys.executable, "-m", "safetynet.cli"]
    # Only the tables areas_import writes (areas, and core's audit and reference versions): the
    # whole schema took two minutes of the suite for a test of the exit code.
    for app in ("core", "areas"):
        migrated = subprocess.run([*safetynet, "migrate", app, "-v", "0"], env=env, capture_output=True, text=True)
        assert migrated.returncode == 0, migrated.stderr[-2000:]
    good = subprocess.run([*safetynet, "areas_import", str(DIVISIONS)], env=env, capture_output=True, text=True)
    assert good.returncode == 0, good.stderr
    # Commands speak the default language (Chinese); either wording carries the count.
    assert "added 200" in good.stdout or "新增 200" in good.stdout
    bad_file = tmp_path / "bad.csv"
    bad_file.write_text("code,name,urban_rural_class\n130123100951,错类村,999\n", encoding="utf-8")
    bad = subprocess.run([*safetynet, "areas_import", str(bad_file)], env=env, capture_output=True, text=True)
    assert bad.returncode == 1
    assert "urban_rural_class" in bad.stderr and "2" in bad.stderr.split("urban_rural_class")[0]
