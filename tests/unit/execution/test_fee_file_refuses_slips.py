"""An edited fee file that is inconsistent is refused, naming the field and
what is allowed, never loaded to charge a silently wrong fee.

`src/vtrade/execution/data/fees.toml` says of itself "Edit freely; loading is strict", and the
README (Execution §4) says a file that cannot price the catalog "is refused at start with the
file, the section and the instrument". These tests edit one line of the packaged file and run
the two checks the application runs at start (`FeeSchedule.load`, then `check_covers` on the
catalog, as `bootstrap.py` does).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from vtrade.core.errors import DataError
from vtrade.execution.fees import FeeSchedule
from vtrade.market.catalog import Catalog

CATALOG = Catalog.load()
PACKAGED = resources.files("vtrade.execution").joinpath("data/fees.toml").read_text("utf-8")


def edited(tmp_path: Path, old: str, new: str) -> Path:
    assert PACKAGED.count(old) == 1, old
    path = tmp_path / "fees.toml"
    path.write_text(PACKAGED.replace(old, new), encoding="utf-8")
    return path


def started(path: Path) -> FeeSchedule:
    """What the application does with a fee file at start (bootstrap.py)."""
    fees = FeeSchedule.load(path)
    fees.check_covers(CATALOG)
    return fees


@pytest.mark.parametrize(
    ("old", "new", "symbol"),
    [
        # a typo: Glencore (a Jersey company, no UK stamp duty) would silently pay 0.5%
        ('[uk_equity.symbols."GLEN.L"]', '[uk_equity.symbols."GLNE.L"]', "GLNE.L"),
        # a US stock under the LSE section: the override can never apply
        ('[uk_equity.symbols."GLEN.L"]', '[uk_equity.symbols."AAPL"]', "AAPL"),
        # a typo: Micro Gold would silently pay the standard contract's $2.47 a contract
        ("[futures.symbols.MGC]  # Micro Gold", "[futures.symbols.MGCC]  # Micro Gold", "MGCC"),
    ],
    ids=["uk-typo", "uk-not-covered", "futures-typo"],
)
def test_a_per_symbol_override_for_a_symbol_its_section_does_not_price_is_refused(
    tmp_path: Path, old: str, new: str, symbol: str
) -> None:
    """A trader who edits `[uk_equity.symbols."GLEN.L"]` (Glencore plc is incorporated in
    Jersey: HMRC charges no SDRT on it) and mistypes the symbol expects the file to be refused
    naming the symbol, not loaded so that every Glencore purchase silently pays 0.5% stamp
    duty. Likewise an override under a section that does not cover the symbol (AAPL under the
    LSE schedule), or a mistyped micro future (MGC pays $0.25 + $0.30 + $0.02 a contract, the
    standard schedule $0.85 + $1.60 + $0.02)."""
    path = edited(tmp_path, old, new)
    with pytest.raises(DataError) as caught:
        started(path)
    message = caught.value.message
    assert str(path) in message
    assert symbol in message


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        # the next SEC rate pasted as the advisory gives it ("$27.80 per million") rather than
        # as a fraction of proceeds (0.0000278): 2,780% of every sale
        (
            "{ from = 2026-04-04, value = 0.0000206 },",
            "{ from = 2026-04-04, value = 0.0000206 },\n  { from = 2027-04-04, value = 27.80 },",
            "value",
        ),
        (
            "stamp_duty_of_value = 0.005  # buys",
            "stamp_duty_of_value = 5  # buys",
            "stamp_duty_of_value",
        ),
        ("commission_of_value = 0.0005", "commission_of_value = 5", "commission_of_value"),
    ],
    ids=["sec-fee-per-million", "stamp-duty-500pct", "lse-commission-500pct"],
)
def test_a_fraction_of_value_above_one_is_refused(
    tmp_path: Path, old: str, new: str, key: str
) -> None:
    """The file documents `_of_value` keys as "plain fractions of trade value (0.01 = 1 %)".
    A fraction above 1 charges more than the whole trade is worth: it can only be a unit
    mistake, the classic one being a SEC Section 31 rate typed as the SEC's "$27.80 per
    million" instead of 0.0000278. The loader refuses it naming the key and that a fraction 0..1
    is allowed: loaded, a $10,000 sale would pay a $278,000 SEC fee."""
    path = edited(tmp_path, old, new)
    with pytest.raises(DataError) as caught:
        started(path)
    assert str(path) in caught.value.message
    assert caught.value.details.get("key") == key


def test_two_overrides_of_one_symbol_in_different_case_are_refused(tmp_path: Path) -> None:
    """Symbols are found in any case (README: "Symbols are found in any case") and the loader
    upper-cases override keys, so `[futures.symbols.mgc]` and `[futures.symbols.MGC]` are the
    same instrument: the file is ambiguous, and is refused naming the symbol rather than let
    the later table silently replace the earlier."""
    path = edited(
        tmp_path,
        "[futures.symbols.MGC]  # Micro Gold",
        "[futures.symbols.mgc]\ncommission = 9\n\n[futures.symbols.MGC]  # Micro Gold",
    )
    with pytest.raises(DataError) as caught:
        started(path)
    assert "MGC" in caught.value.message.upper()
