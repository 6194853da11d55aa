"""Exceptions the service layer raises. Their text is written for the person using the app.

    ScrapeDeckError            base: anything a page or the CLI shows as a clear message
    ├── ValidationError        the input is wrong (bad JSON, empty name, invalid schema…);
    │                          ``problems`` lists each one, with its location where there is one
    ├── NotFound               the record does not exist, or the user may not see it
    ├── PermissionDenied       the user may see it but not do this
    ├── Conflict               the action clashes with stored data (duplicate email…)
    ├── Unfinished             work a command waited for ended without completing (a failed
    │                          run or crawl, a page that could not be audited): exit status 1
    └── AuthError              sign-in refused
        ├── AccountLocked      too many failures; ``until`` says when it unlocks
        └── AccountSuspended   an admin suspended the account

Pages catch ``ScrapeDeckError`` and show ``str(exc)`` (plus ``problems``); the CLI prints it and
exits with status 2 (1 for ``Unfinished``). Anything else is a bug.
"""

from __future__ import annotations

from datetime import datetime


class ScrapeDeckError(Exception):
    """Base class: the message is meant for the user."""


class ValidationError(ScrapeDeckError):
    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = problems or []

    def __str__(self) -> str:
        base = super().__str__()
        if not self.problems:
            return base
        lines = [base]
        for problem in self.problems:
            first, *rest = problem.splitlines() or [""]
            lines += [f"- {first}", *(f"  {line}" for line in rest)]
        return "\n".join(lines)


class NotFound(ScrapeDeckError):
    pass


class PermissionDenied(ScrapeDeckError):
    pass


class Conflict(ScrapeDeckError):
    pass


class Unfinished(ScrapeDeckError):
    """The command worked, but what it waited for did not complete (exit status 1, not 2)."""


class AuthError(ScrapeDeckError):
    pass


class AccountLocked(AuthError):
    def __init__(self, message: str, until: datetime) -> None:
        super().__init__(message)
        self.until = until


class AccountSuspended(AuthError):
    pass
