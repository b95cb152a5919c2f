"""Two generations of the same county and month at once (PostgreSQL): the run's row lock queues
the second, which then adds nothing; the unique index would refuse a double payment anyway."""
import threading

import pytest
from django.db import connection, connections

from safetynet.payroll import services
from safetynet.payroll.models import Payment
from tests.conftest import COUNTY


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)")
def test_two_concurrent_generations_pay_once(transactional_db, payroll):
    p = payroll
    for i in range(50):
        p.enroll(f"{100 + i}.00")
    errors, runs = [], []
    barrier = threading.Barrier(2)

    def generate():
        try:
            barrier.wait()
            runs.append(services.generate_payroll_run(actor=p.posts.officer, county_code=COUNTY, month="2025-10"))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=generate) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Payment.objects.count() == 51
    assert Payment.objects.values("enrollment_id", "month").distinct().count() == 51
    assert sorted(sum(r.added[k] for k in ("regular", "arrears", "carried")) for r in runs) == [0, 51]
