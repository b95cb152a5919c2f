"""Active discovery (issue 17; POLICY.md §6): grid reports from a phone, leads with working-day
deadlines and escalation, one-door acceptance and referrals, the low-income monitoring register
and warnings from department data.

Sits above enrollments (it reads who is enrolled, files applications through cases and reads the
verification snapshots) and below payroll in the import order (docs/architecture.md)."""
