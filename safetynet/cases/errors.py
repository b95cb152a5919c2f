"""The errors a case can answer with, each with a stable code (DESIGN.md §8 rule 6)."""
from safetynet.core.errors import Conflict, PermissionDenied


class TransitionNotAllowed(Conflict):
    """The step is out of order for the case as it stands (confirming before the notice ends,
    paying before confirmation, ...). The case is unchanged."""

    code = "transition_not_allowed"


class StepMissing(Conflict):
    """A step the law requires has not been done yet (the county visit, the deliberation)."""

    code = "step_missing"


class StaleCase(Conflict):
    """Someone else moved the case since it was loaded (optimistic locking): reload and retry."""

    code = "stale_case"


class ConflictOfInterest(PermissionDenied):
    """The actor is the related staff member, or works in that staff member's town
    (POLICY.md §1 step 2)."""

    code = "conflict_of_interest"
