"""What the native API's paged lists of orders and fills take: the most items a page holds,
the directions and statuses they list by, how long a page token and a symbols filter may be,
and what an instant bound is. The routes declare them from here, and a client that checks
its input before sending (`vtrade orders`, `vtrade fills`) imports them instead of restating
them: no web framework is imported here."""

from __future__ import annotations

from typing import Literal, get_args

from vtrade.core.clock import parse_instant, to_ns
from vtrade.core.errors import ValidationError

MAX_PAGE = 500  # most items in one page
MAX_TOKEN = 256  # characters of a page token
MAX_SYMBOLS = 2000  # characters of a comma-separated symbols filter
Ordering = Literal["asc", "desc"]  # the direction: asc, oldest first; desc, newest first
DIRECTIONS: tuple[str, ...] = get_args(Ordering)
Status = Literal["open", "closed", "all"]  # of orders
STATUSES: tuple[str, ...] = get_args(Status)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # the instants a database column holds (ns)


def storable(ns: int) -> int:
    """A bound past what a stored instant holds (1677-2262) as the furthest one that does: as
    good as no bound (a dashboard's "all time" asks until 9999), not an overflow and a 500."""
    return min(max(ns, INT64_MIN), INT64_MAX)


def instant(text: str | None, name: str) -> int | None:
    """Parse an ISO 8601 bound named `name` into ns (None when absent); `ValidationError`
    (a 422) if malformed."""
    if text is None:
        return None
    try:
        return storable(to_ns(parse_instant(text)))
    except (ValueError, OverflowError):
        raise ValidationError(
            f"{name} {text!r} is not an instant: use ISO 8601, e.g. 2026-11-18T15:00:00Z "
            "or 2026-11-18",
            parameter=name,
        ) from None
