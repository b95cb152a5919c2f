"""The payments app as it was until issue 16, kept for its migration history only.

Its models went to `safetynet.enrollments` (enrollments, terms, change reports, re-checks,
decisions, triggers, overpayments, the re-assessment after a standard change and the policy
simulation) and `safetynet.payroll` (runs, payments, generation, bank files, returns, summaries).
Their tables were created by this app's migrations 0001-0008, which a database built before the
split has applied; 0009 takes the models out of this app's state, and enrollments 0002 and
payroll 0002 rename the tables. So the app stays installed (Django reads the migration graph of
installed apps only, and the new apps' migrations depend on these) and holds nothing else.
Squashing the history into the new apps instead would leave databases built before the split
with no way to tell which of the squashed steps they have.
"""
