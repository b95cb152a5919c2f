"""Transparency and supervision (issue 18; POLICY.md §1, §7): the standing roster and the monthly
changes on the public pages, complaints and reports, the close-relative register, spot checks,
inspections and their findings, anomaly reports and the audit viewer.

The top of the working apps (below dashboards and demo only): it reads cases, enrollments,
verification and payroll, and the controls here open complaints by themselves where they find
something (`complaints.file_complaints` with a `source_key`), so nothing found is left without
an owner.
"""
