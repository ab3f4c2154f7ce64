"""Threshold alerts, evaluated for many accounts at once and published once per crossing.

Each condition keeps a flag per account; an alert fires when a flag flips. A small relative
hysteresis band keeps a value hovering at a threshold from firing on every tick.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from vtrade.portfolio.arrays import grow
from vtrade.portfolio.valuation import Columns


class AlertKind(StrEnum):
    POSITION_OVER_CAP = "position_over_cap"
    MARGIN_CALL = "margin_call"
    DIVERSIFIED = "diversified"
    NAV_MILESTONE = "nav_milestone"


@dataclass(frozen=True, slots=True)
class AlertConfig:
    position_cap: float = 0.25  # share of NAV
    diversified_groups: int = 5
    nav_milestones: tuple[float, ...] = (1_500_000.0, 2_000_000.0, 5_000_000.0, 10_000_000.0)
    hysteresis: float = 0.005  # relative band before a flag clears


@dataclass(frozen=True, slots=True)
class Crossing:
    account: int  # valuation index
    kind: AlertKind
    active: bool
    value: Decimal
    threshold: Decimal
    message: str


class Alerts:
    """Per-account flags of every condition, and the crossings since the last check."""

    def __init__(self, config: AlertConfig | None = None) -> None:
        self.config = config or AlertConfig()
        self._milestones = np.array(sorted(self.config.nav_milestones))
        self.over_cap = np.zeros(0, dtype=bool)
        self.margin_call = np.zeros(0, dtype=bool)
        self.diversified = np.zeros(0, dtype=bool)
        self.milestone = np.zeros(0, dtype=np.int64)  # how many milestones NAV is above

    def prime(self, cols: Columns) -> None:
        """Adopt the current flags without alerting (after a rebuild)."""
        self._fit(cols.nav.shape[0])
        everyone = np.arange(cols.nav.shape[0])
        self.over_cap[everyone] = cols.max_weight > self.config.position_cap
        self.margin_call[everyone] = cols.nav < cols.maintenance
        self.diversified[everyone] = cols.groups_held >= self.config.diversified_groups
        self.milestone[everyone] = np.searchsorted(self._milestones, cols.nav, side="right")

    def start_account(self, a: int, nav: float) -> list[Crossing]:
        """Adopt a new (or reset) account's flags: no positions, NAV at its balance. A fund
        opened with 10,000,000 VCR has not *reached* a milestone. Return the alerts a reset
        ended (a dashboard showing them is told, as when they fall by trading)."""
        self._fit(a + 1)
        ended = [
            Crossing(a, kind, False, Decimal(0), Decimal(0), "ended: the account was reset")
            for kind, flags in (
                (AlertKind.POSITION_OVER_CAP, self.over_cap),
                (AlertKind.MARGIN_CALL, self.margin_call),
                (AlertKind.DIVERSIFIED, self.diversified),
            )
            if flags[a]
        ]
        self.over_cap[a] = self.margin_call[a] = self.diversified[a] = False
        self.milestone[a] = int(np.searchsorted(self._milestones, nav, side="right"))
        return ended

    def check(self, cols: Columns, accounts: NDArray[np.int64]) -> list[Crossing]:
        """Compare `accounts`' figures with their flags; flip and report what crossed."""
        self._fit(cols.nav.shape[0])
        c, h = self.config, self.config.hysteresis
        nav, weight = cols.nav[accounts], cols.max_weight[accounts]
        out: list[Crossing] = []
        cap = c.position_cap
        out += self._flip(
            self.over_cap, accounts, weight > cap, weight < cap * (1 - h), weight,
            AlertKind.POSITION_OVER_CAP, cap, "a position is {v:.1%} of NAV (cap {t:.0%})",
        )  # fmt: skip
        maint = cols.maintenance[accounts]
        out += self._flip(
            self.margin_call, accounts, nav < maint, nav > maint * (1 + h), nav,
            AlertKind.MARGIN_CALL, maint, "NAV {v:,.2f} against maintenance {t:,.2f}",
        )  # fmt: skip
        groups = cols.groups_held[accounts]
        need = c.diversified_groups
        out += self._flip(
            self.diversified, accounts, groups >= need, groups < need, groups,
            AlertKind.DIVERSIFIED, need, "{v:.0f} sectors and categories held (goal {t})",
        )  # fmt: skip
        out += self._milestone_crossings(accounts, nav)
        return out

    def _flip(
        self,
        flags: NDArray[np.bool_],
        accounts: NDArray[np.int64],
        on: NDArray[np.bool_],
        off: NDArray[np.bool_],
        value: NDArray[np.generic],
        kind: AlertKind,
        threshold: float | int | NDArray[np.generic],
        text: str,
    ) -> list[Crossing]:
        was = flags[accounts]
        rising = ~was & on
        falling = was & off
        flags[accounts[rising]] = True
        flags[accounts[falling]] = False
        out = []
        for k in np.flatnonzero(rising | falling):
            t = float(threshold[k]) if isinstance(threshold, np.ndarray) else threshold
            v = float(value[k])
            out.append(
                Crossing(
                    int(accounts[k]),
                    kind,
                    bool(rising[k]),
                    _dec(v),
                    _dec(t),
                    text.format(v=v, t=t),
                )
            )
        return out

    def _milestone_crossings(
        self, accounts: NDArray[np.int64], nav: NDArray[np.float64]
    ) -> list[Crossing]:
        ms, h = self._milestones, self.config.hysteresis
        level = self.milestone[accounts]
        up = np.searchsorted(ms, nav, side="right")
        down = np.searchsorted(ms * (1 - h), nav, side="right")  # falls below m*(1-h)
        new = np.where(up > level, up, np.minimum(level, down))
        out = []
        for k in np.flatnonzero(new != level):
            lo, hi = sorted((int(level[k]), int(new[k])))
            rising = new[k] > level[k]
            for m in ms[lo:hi]:
                out.append(
                    Crossing(
                        int(accounts[k]),
                        AlertKind.NAV_MILESTONE,
                        bool(rising),
                        _dec(float(nav[k])),
                        _dec(float(m)),
                        f"NAV {'reached' if rising else 'fell back below'} {m:,.0f} VCR",
                    )
                )
        self.milestone[accounts] = new
        return out

    def _fit(self, n: int) -> None:
        if self.over_cap.shape[0] >= n:
            return
        capacity = max(n, 2 * self.over_cap.shape[0])
        grow(self, ("over_cap", "margin_call", "diversified", "milestone"), capacity)


def _dec(value: float) -> Decimal:
    return Decimal(repr(round(value, 6)))
