"""Portfolio values that cross layers: equity snapshots (cold storage) and their kinds."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class SnapshotKind(StrEnum):
    """Intraday snapshots are taken every few minutes; close snapshots once per trading day."""

    INTRADAY = "intraday"
    CLOSE = "close"


@dataclass(frozen=True, slots=True, kw_only=True)
class EquityPoint:
    """An account's equity at one instant, in the account currency (VCR)."""

    account_id: str
    ts_ns: int
    nav: Decimal
    cash: Decimal
    kind: SnapshotKind = SnapshotKind.INTRADAY
