"""The errors verification answers with, each with a stable code (DESIGN.md §8 rule 6)."""
from __future__ import annotations

from safetynet.core.errors import Conflict, PermissionDenied, ValidationError


class SnapshotRejected(ValidationError):
    """The file has bad rows: nothing was stored; `bad_rows` lists every one (row, column, reason)."""

    code = "snapshot_rejected"

    def __init__(self, message: str, *, bad_rows: list, **kwargs):
        self.bad_rows = bad_rows
        details = {"count": len(bad_rows), "rows": [b.as_dict() for b in bad_rows[:1000]]}
        super().__init__(message, field="file", details=details, **kwargs)


class WrongDepartment(PermissionDenied):
    """A department's login sent another department's dataset."""

    code = "wrong_department"


class AuthorizationMissing(ValidationError):
    """The applicant has not signed the authorization for data verification (MLG-2021 art. 9)."""

    code = "authorization_missing"


class RunNotResumable(Conflict):
    code = "run_not_resumable"
