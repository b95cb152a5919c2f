"""`safetynet payroll ...`: generate, approve (maker-checker by username), export, import returns."""
import pytest
from django.core.management import CommandError, call_command

from safetynet.payroll.models import Payment, PayrollRun
from tests.conftest import COUNTY


def _user(actor):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(pk=actor.user_id).username


def test_payroll_command_walks_a_run(payroll, settings, tmp_path, capsys):
    settings.MEDIA_ROOT = tmp_path
    p = payroll
    p.enroll("100.00")
    officer, leader = _user(p.posts.officer), _user(p.posts.county_leader)
    call_command("payroll", "generate", "--county", COUNTY, "--month", "2025-10", "--as", officer)
    out = capsys.readouterr().out
    assert "[1/4] regular" in out and "2 payments" in out
    call_command("payroll", "generate", "--county", COUNTY, "--month", "2025-10", "--as", officer)
    assert "already complete: nothing added" in capsys.readouterr().out
    run = PayrollRun.objects.get()
    with pytest.raises(CommandError, match="maker-checker|may payments.approve"):
        call_command("payroll", "approve", run.code, "--as", officer)
    call_command("payroll", "approve", run.code, "--as", leader)
    with pytest.raises(CommandError, match="frozen"):
        call_command("payroll", "generate", "--county", COUNTY, "--month", "2025-10", "--as", officer)
    call_command("payroll", "export", str(run.pk), "--as", officer)
    assert "exported: 2 payments" in capsys.readouterr().out
    lines = ["reference,amount,result,reason"] + [f"{r},{a},paid," for r, a in
                                                  Payment.objects.filter(run=run).values_list("reference", "amount")]
    good = tmp_path / "returns.csv"
    good.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(lines[0] + "\nNOPE,1.00,paid,\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Row 2: unknown reference NOPE"):
        call_command("payroll", "import-returns", run.code, str(bad), "--as", officer)
    call_command("payroll", "import-returns", run.code, str(good), "--as", officer)
    assert "2 paid, 0 failed" in capsys.readouterr().out
    assert PayrollRun.objects.get().status == "reconciled"
