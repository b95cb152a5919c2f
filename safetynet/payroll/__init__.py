"""The payroll (DESIGN.md §2: Enrollment ──► monthly PayrollRun ──► Payment): the monthly runs of a
county, generated set-based (generation.py) from what each enrollment is due
(enrollments/dues.py), maker-checker approval, the bank files and the bank's returns, the run's
figures (summaries.py) and its pages, API and `safetynet payroll` command.

The top of the payments side (issue 16): payroll imports enrollments (its models, dues, months,
the job book, the page decorator), nothing imports payroll but the project's wiring (urls.py,
api.py), the demo and the one seam enrollments/__init__.py names (schedule.py settling a dated
decision's money). The pages stay at /payments/ in the "payments" URL namespace.
"""
