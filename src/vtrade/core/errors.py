"""Error hierarchy. Every error carries a message that says what was wrong and what is allowed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class VtradeError(Exception):
    """Base of all errors the project raises on purpose."""

    code = 50000
    changed_nothing = False  # set by `refusing`: raised before any state was changed

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(VtradeError):
    """Input is malformed or out of range."""

    code = 42210


class AuthenticationError(VtradeError):
    """Credentials (password, API key, session or CSRF token) are missing, wrong or expired.

    The message never says which part was wrong, so it cannot be used to probe names or keys.
    """

    code = 40100


class RejectedError(VtradeError):
    """Well-formed, but a trading rule refuses it (buying power, position cap, shortability)."""

    code = 40310


class RateLimitedError(VtradeError):
    """Too many requests in a short time; the message says when to try again."""

    code = 42910


class NotFoundError(VtradeError):
    """A named thing does not exist (or is not visible to the caller)."""

    code = 40410


class ConflictError(VtradeError):
    """The request conflicts with current state."""

    code = 40910


class IllegalTransitionError(VtradeError):
    """A stateful object was asked to move along a transition its table does not allow."""

    code = 42220


class StorageError(VtradeError):
    """The database failed under a command: it was not applied, or (a commit whose answer was
    lost) its outcome is unknown; the message says which, and that trying later may work."""

    code = 50300


class MarketTakenOver(StorageError):
    """Another process started working the market on this database: this one's commits are
    refused, so two servers never trade the same orders."""

    code = 50310


class MarketOutOfDays(VtradeError):
    """The simulated clock ran past the days the market covers: nothing that needs the market
    now can be answered until the server restarts within them."""

    code = 50330


class DataError(VtradeError):
    """A data file is malformed."""

    code = 42230


@contextmanager
def refusing() -> Iterator[None]:
    """Mark the errors raised in the block as refusals: they came before the block's command
    changed anything, so its caller answers them without rebuilding state, and what else
    shares the transaction (the market's elapsed time, other orders) still commits."""
    try:
        yield
    except VtradeError as exc:
        exc.changed_nothing = True
        raise
