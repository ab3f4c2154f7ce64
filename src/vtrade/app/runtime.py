"""The runtime: what moves a running simulation forward between commands.

Each `step` lets the market act on open orders up to now (fills of resting orders, triggers,
expiries, the open and close auctions), publishes the committed events, and revalues every
portfolio at current prices. A server calls it on a timer; tests call it by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from vtrade.app.portfolio import PortfolioService
from vtrade.app.services import TradingService
from vtrade.core.clock import Clock


@dataclass(frozen=True, slots=True)
class Step:
    """What one step did."""

    t_ns: int
    published: int  # outbox events relayed to the bus
    repriced: int  # instruments whose price moved


class Runtime:
    """Drive the engines of one process in a fixed order on one thread."""

    def __init__(self, trading: TradingService, portfolio: PortfolioService, clock: Clock) -> None:
        self.trading = trading
        self.portfolio = portfolio
        self.clock = clock
        self.steps = 0
        self.repriced = 0

    def step(self) -> Step:
        """Advance orders to now, relay the outbox, then revalue and publish portfolios."""
        t = self.advance()
        return self.finish(t, self.trading.relay())

    # A server runs the same step in parts, relaying chunk by chunk (`TradingService.relay_chunk`)
    # between `advance` and `finish`, so that requests are served while a backlog is relayed.

    def advance(self) -> int:
        """Let the market act on open orders up to now; return the instant."""
        t = self.clock.now_ns()
        self.trading.advance(t)
        return t

    def finish(self, t_ns: int, published: int) -> Step:
        """Revalue and publish portfolios at `t_ns`, after `published` events were relayed."""
        repriced = self.portfolio.tick(t_ns)
        self.steps += 1
        self.repriced += repriced
        return Step(t_ns, published, repriced)

    def adopt(self, account_id: str) -> bool:
        """Make an account opened by another process known here; tell whether it exists."""
        if account_id in self.trading.engine.accounts:
            return True
        if not self.trading.knows(account_id):
            return False
        self.portfolio.rebuild(self.clock.now_ns())
        return True

    def adopt_owned(self, owner: str) -> None:
        """Make the accounts of `owner` opened by another process since this one started
        (`vtrade keys create`) known here, so a web session lists and opens them at once."""
        known = self.trading.engine.accounts
        missing = [a for a in self.trading.store.account_ids_of(owner) if a not in known]
        if missing:
            self.adopt(missing[0])  # one reload brings every account opened since
