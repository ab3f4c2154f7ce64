"""Risk of an account over its daily closes: from the window's start (the opening balance of a
life begun in it) to today's live NAV while today is open, and beta against the benchmark's
close of the same session."""

from __future__ import annotations

from decimal import Decimal

from portfolio_helpers import SECOND, Boot, at, open_account, trade

from vtrade.bootstrap import Container
from vtrade.domain.market_data import Side
from vtrade.domain.portfolio import SnapshotKind

MONDAY = "2026-11-16T15:00:00Z"
CLOSES = ["2026-11-16", "2026-11-17", "2026-11-18", "2026-11-19", "2026-11-20"]


def jump(app: Container, text: str) -> None:
    app.clock.set(at(text))
    app.portfolio.tick(app.clock.now_ns())


def test_an_index_heavy_account_has_the_beta_of_its_index_share_and_returns_from_its_opening(
    boot: Boot,
) -> None:
    app = boot(at(MONDAY))
    account = open_account(app)
    for fund in ("SPY", "VOO", "IVV"):  # about 72% of the NAV in the S&P 500
        price = app.market.touch(fund, app.clock.now_ns()).ask
        trade(app, account, fund, Side.BUY, int(240_000 / price))
    for day in CLOSES:
        jump(app, f"{day}T21:00:01Z")  # the close snapshot
        jump(app, f"{day}T21:05:00Z")
    closes = app.portfolio.equity.points(account.id, 0, at("2026-11-21T00:00:00Z"), kind="close")
    assert [p.kind for p in closes] == [SnapshotKind.CLOSE] * 5

    risk = app.queries.risk(account.id, "30d")

    nav = app.queries.state(account.id).nav
    assert risk.periods == 5  # opening to the first close, then close to close: no live point
    assert risk.total_return is not None
    assert abs(Decimal(str(risk.total_return)) - (nav / Decimal(1_000_000) - 1)) < Decimal("1e-4")
    assert risk.beta is not None and 0.65 < risk.beta < 0.8, risk
    assert risk.correlation is not None and risk.correlation > 0.95, risk


def test_today_counts_as_a_period_while_it_is_open(boot: Boot) -> None:
    app = boot(at(MONDAY))
    account = open_account(app)
    trade(app, account, "AAPL", Side.BUY, 100)
    jump(app, "2026-11-16T21:00:01Z")
    after_close = app.queries.risk(account.id, "30d").periods
    jump(app, "2026-11-17T15:00:00Z")
    intraday = app.queries.risk(account.id, "30d").periods

    assert (after_close, intraday) == (1, 2)
    assert app.clock.now_ns() - at("2026-11-17T15:00:00Z") < SECOND
