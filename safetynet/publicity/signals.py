"""What the notice board tells the apps above it (a seam: publicity is below them).

`objection_filed` is sent inside the unit of work that keeps the objection
(`services.file_objection`), with `uow`, `objection`, `case` and `notice`; a receiver writes
through that same unit, so the objection and what it starts are kept or given up together
(oversight files it as a complaint with an owner and a deadline).
"""
from django.dispatch import Signal

objection_filed = Signal()
