"""Enrollments and their dynamic management (DESIGN.md §2-§3): who receives what each month and
why — enrollments and their terms by month (schedule.py), change reports and re-checks, decisions
(changes, suspensions, gradual exits, endings on notice), department-data triggers and their
proposals, overpayments, the re-assessment after a standard change (restandard.py) — and the
policy simulation (simulation.py), which is here by its dependencies: it reads enrollments, their
terms (dues.py) and the standards, never a run or a payment, and the re-assessment is built on it.
The payroll (safetynet/payroll) pays what this app says is due.

Where this app sits (issue 16; DESIGN.md §3 "apps import downward only"):

    core ← areas ← registry ← programs ← cases ← verification ← publicity ← enrollments ← payroll

enrollments imports cases (clocks, snapshots, supporters), verification (re-check runs, reports),
publicity (an ending's notice) and workforce below it, and payroll imports enrollments (a Payment
references its Enrollment; generation pays by dues.due_amount_sql). Payroll is above because its
data refers to ours, never the other way.

Against that order, on purpose and in one place: schedule.py reads the payroll's runs and payments
(payroll.models), because a dated decision settles in its own transaction the money already
generated for its months (drafts released, overpayments recorded, an increase into an approved
month refused). Below this app, cases reads Enrollment (the open-case and live-enrollment checks;
confirmation creates the Enrollment) and verification files a re-check's run and report
(rechecks.attach_due_run, Recheck); those are the cases' and verification's side of the seam.

The jobs of both apps share one book (jobs.py: kinds, labels, the folder jobs/payments/), their
pages one decorator (pages.py) and the job page (job_views.py); the URL names stay in the
"payments" and "changes" namespaces and the permissions keep their "payments." names.
"""
