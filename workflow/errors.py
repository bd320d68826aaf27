"""Domain errors of the engine; api/errors.py maps each to its HTTP answer."""

from __future__ import annotations


class WorkflowError(Exception):
    pass


class InvalidTransition(WorkflowError):
    """The action does not exist from the document's state, or a guard refuses it (HTTP 409)."""

    code = "invalid_transition"

    def __init__(self, message: str, *, status: str = "", allowed_actions: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.allowed_actions = allowed_actions or []


class Conflict(InvalidTransition):
    """The document changed under the caller (a stale version, a concurrent request) (HTTP 409)."""

    code = "conflict"


class NotPermitted(WorkflowError):
    """The actor holds no role that may take this action on this document (HTTP 403)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
