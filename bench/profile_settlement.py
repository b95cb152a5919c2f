"""Where a one-stop settlement's Python CPU goes: 300 bills through Django's WSGI handler in this
process (the whole middleware stack and URL resolution, no HTTP server), under cProfile, on the
database `bench_settlement_load.py --keep` leaves (DATABASE_URL, default bench_medical). Prints
the CPU a bill and the profile sorted by cumulative time. The route-order figure in
docs/benchmarks.md ("1.0 ms of the request's 4.1–4.6 ms") was read from this profile.

    .venv/bin/python bench/bench_settlement_load.py --template --duration 5 --keep
    .venv/bin/python bench/profile_settlement.py
"""
import cProfile, io, json, os, pstats, random, sys, time
os.environ.update({"DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_medical"), "DJANGO_SETTINGS_MODULE": "safetynet.settings",
                   "DEBUG": "false", "SECRET_KEY": "bench-only-not-secret", "SAFETYNET_DATA_DIR": "/tmp/sn-prof", "CONN_MAX_AGE": "600"})
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent.parent))
import django
django.setup()
from django.core.handlers.wsgi import WSGIHandler
from safetynet.medical import keys
from safetynet.medical.models import Institution
from safetynet.areas.actors import system_actor
from safetynet.registry.models import Person
inst = Institution.objects.first()
key = keys.issue_key(actor=system_actor(), institution_id=inst.pk)[1]
ids = list(Person.objects.values_list("id_number", flat=True)[:5000])
app = WSGIHandler()
n = [0]
def call():
    n[0] += 1
    body = json.dumps({"visit_number": f"P{time.time_ns()}{n[0]}", "id_number": random.choice(ids), "admitted_on": "2026-11-20",
        "discharged_on": "2026-11-25", "total_cost": "1200.00", "basic_insurance_paid": "600.00", "critical_illness_paid": "0.00",
        "eligible_self_paid": "500.00", "ineligible_self_paid": "100.00"}).encode()
    env = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/medical/institution/settlements", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
           "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": "application/json", "wsgi.url_scheme": "http",
           "HTTP_AUTHORIZATION": f"Bearer {key}", "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "HTTP_ACCEPT_LANGUAGE": "en"}
    out = []
    res = app(env, lambda s, h: out.append(s))
    b = b"".join(res)
    assert out[0].startswith("200"), (out, b[:300])
for _ in range(50): call()
t = time.process_time(); 
for _ in range(300): call()
print("cpu ms/req", (time.process_time() - t) / 300 * 1000)
pr = cProfile.Profile(); pr.enable()
for _ in range(300): call()
pr.disable()
s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(45); print(s.getvalue()[:9000])
