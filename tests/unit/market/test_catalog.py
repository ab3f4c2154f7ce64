"""Specification of the instrument catalog: the shipped universe and the strict loader."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vtrade.core.errors import DataError, NotFoundError, ValidationError
from vtrade.domain.instruments import AssetClass, Instrument
from vtrade.market.catalog import CALENDARS, COLUMNS, Catalog

CATALOG = Catalog.load()
GICS_SECTORS = {
    "Communication Services",
    "Consumer Discretionary",
    "Consumer Staples",
    "Energy",
    "Financials",
    "Health Care",
    "Industrials",
    "Information Technology",
    "Materials",
    "Real Estate",
    "Utilities",
}


def of_class(asset_class: AssetClass) -> list[Instrument]:
    return CATALOG.filter(asset_class)


def tick_bps(instrument: Instrument) -> float:
    return float(instrument.tick_size / instrument.market.reference_price) * 1e4


# --- the shipped universe -------------------------------------------------------------------


def test_ships_at_least_170_instruments_in_six_asset_classes() -> None:
    counts = Counter(i.asset_class for i in CATALOG)
    assert len(CATALOG) >= 170
    assert set(counts) == set(AssetClass)
    assert counts[AssetClass.EQUITY] >= 85
    assert counts[AssetClass.ETF] >= 22
    assert counts[AssetClass.CRYPTO] >= 22
    assert counts[AssetClass.FX] >= 16
    assert counts[AssetClass.COMMODITY] >= 12
    assert counts[AssetClass.INDEX] >= 10


def test_equities_span_nasdaq_nyse_and_lse_in_pence() -> None:
    equities = of_class(AssetClass.EQUITY)
    nasdaq = [i for i in equities if (i.venue, i.calendar, i.currency) == ("XNAS", "XNAS", "USD")]
    nyse = [i for i in equities if (i.venue, i.calendar, i.currency) == ("XNYS", "XNYS", "USD")]
    lse = [i for i in equities if (i.venue, i.calendar, i.currency) == ("XLON", "XLON", "GBX")]
    assert len(nasdaq) >= 35
    assert len(nyse) >= 30
    assert len(lse) >= 15
    assert len(nasdaq) + len(nyse) + len(lse) == len(equities)
    assert all(i.symbol.endswith(".L") for i in lse)


def test_each_asset_class_trades_on_its_venues_and_calendars() -> None:
    for etf in of_class(AssetClass.ETF):
        assert (etf.venue, etf.calendar) in {("ARCX", "XNYS"), ("XNAS", "XNAS")}
        assert etf.currency == "USD"
    for coin in of_class(AssetClass.CRYPTO):
        assert (coin.venue, coin.calendar, coin.currency) == ("CRYPTO", "24/7", "USD")
        assert coin.symbol.endswith("-USD")
    for pair in of_class(AssetClass.FX):
        assert (pair.venue, pair.calendar) == ("FX", "FX")
        assert pair.currency == pair.symbol.split("/")[1]
    own_hours = {"ZC": "GLOBEX_GRAINS", "ZW": "GLOBEX_GRAINS", "ZS": "GLOBEX_GRAINS"}
    own_hours["LE"] = "GLOBEX_LIVESTOCK"
    for future in of_class(AssetClass.COMMODITY):
        calendar = own_hours.get(future.symbol, "GLOBEX")
        assert (future.venue, future.calendar, future.currency) == ("GLBX", calendar, "USD")
        assert future.lot_size == 1
    for index in of_class(AssetClass.INDEX):
        assert index.multiplier == 1
        assert index.tick_size == Decimal("0.01")
        assert index.shortable and index.marginable
    assert {i.calendar for i in of_class(AssetClass.INDEX)} >= {
        "XNYS",
        "XNAS",
        "XLON",
        "XETR",
        "XTKS",
        "XHKG",
        "XPAR",
    }


def test_every_calendar_is_a_known_session_calendar() -> None:
    assert {i.calendar for i in CATALOG} <= set(CALENDARS)


def test_every_price_lies_on_its_tick_grid() -> None:
    for instrument in CATALOG:
        price = instrument.market.reference_price
        assert price % instrument.tick_size == 0, instrument.symbol


def test_spread_is_never_below_one_tick() -> None:
    for instrument in CATALOG:
        assert instrument.market.typical_spread_bps >= tick_bps(instrument), instrument.symbol


def test_ticks_are_fine_relative_to_price_where_markets_allow_it() -> None:
    for instrument in of_class(AssetClass.EQUITY):
        if instrument.currency == "GBX":
            assert 0.5 <= tick_bps(instrument) <= 5, instrument.symbol
    for instrument in of_class(AssetClass.CRYPTO):
        assert tick_bps(instrument) <= 1.2, instrument.symbol
    for instrument in of_class(AssetClass.FX):
        assert tick_bps(instrument) <= 0.5, instrument.symbol


def test_gamma_tracks_volatility() -> None:
    for instrument in CATALOG:
        market = instrument.market
        assert market.impact_alpha == 0.5
        assert market.impact_gamma == pytest.approx(0.7 * market.daily_volatility, rel=0.05)


def test_volatility_and_spreads_fall_in_realistic_ranges_per_asset_class() -> None:
    ranges = {
        AssetClass.EQUITY: ((0.008, 0.08), (0.3, 40)),
        AssetClass.ETF: ((0.001, 0.05), (0.1, 5)),
        AssetClass.CRYPTO: ((0.025, 0.1), (0.5, 15)),
        AssetClass.FX: ((0.0003, 0.012), (0.1, 15)),
        AssetClass.COMMODITY: ((0.008, 0.05), (0.1, 10)),
        AssetClass.INDEX: ((0.008, 0.02), (0.5, 3)),
    }
    for instrument in CATALOG:
        (vol_lo, vol_hi), (spread_lo, spread_hi) = ranges[instrument.asset_class]
        assert vol_lo <= instrument.market.daily_volatility <= vol_hi, instrument.symbol
        assert spread_lo <= instrument.market.typical_spread_bps <= spread_hi, instrument.symbol
        assert instrument.market.avg_daily_volume > 0


def test_realism_spot_checks() -> None:
    aapl, tsla, jpm = CATALOG.get("AAPL"), CATALOG.get("TSLA"), CATALOG.get("JPM")
    assert (aapl.sector, aapl.industry) == (
        "Information Technology",
        "Technology Hardware, Storage & Peripherals",
    )
    assert (tsla.sector, tsla.industry) == ("Consumer Discretionary", "Automobiles")
    assert (jpm.sector, jpm.industry) == ("Financials", "Banks")
    assert aapl.lot_size == Decimal("0.0001") and aapl.extended_hours
    assert CATALOG.get("BTC-USD").sector == "Layer 1 Crypto"
    vod = CATALOG.get("VOD.L")
    assert (vod.currency, vod.lot_size) == ("GBX", Decimal(1)) and not vod.extended_hours
    assert 30 <= vod.market.reference_price <= 200
    assert 5000 <= CATALOG.get("AZN.L").market.reference_price <= 20000
    gold, crude = CATALOG.get("GC"), CATALOG.get("CL")
    assert (gold.multiplier, gold.tick_size) == (Decimal(100), Decimal("0.10"))
    assert (crude.multiplier, crude.tick_size) == (Decimal(1000), Decimal("0.01"))
    assert CATALOG.get("USD/JPY").tick_size == Decimal("0.001")
    assert CATALOG.get("EUR/USD").tick_size == Decimal("0.00001")
    assert CATALOG.get("SPY").market.typical_spread_bps <= 0.5


def test_equities_carry_gics_sectors() -> None:
    for instrument in of_class(AssetClass.EQUITY):
        assert instrument.sector in GICS_SECTORS, instrument.symbol
        assert instrument.industry


def test_crypto_is_cash_only_and_has_no_stablecoins() -> None:
    for coin in of_class(AssetClass.CRYPTO):
        assert not coin.marginable, coin.symbol
        assert coin.symbol.split("-")[0] not in {"USDT", "USDC", "DAI", "FDUSD", "PYUSD"}
    assert not CATALOG.get("DOGE-USD").shortable


def test_every_currency_converts_to_usd() -> None:
    for currency in CATALOG.currencies():
        symbol, _, scale = CATALOG.usd_conversion(currency)
        assert scale > 0
        if currency != "USD":
            assert symbol is not None and CATALOG.get(symbol).asset_class is AssetClass.FX
    assert CATALOG.usd_conversion("USD") == (None, False, Decimal(1))
    assert CATALOG.usd_conversion("GBX") == ("GBP/USD", False, Decimal("0.01"))
    assert CATALOG.usd_conversion("EUR") == ("EUR/USD", False, Decimal(1))
    assert CATALOG.usd_conversion("JPY") == ("USD/JPY", True, Decimal(1))


def test_conversion_turns_pence_prices_into_plausible_dollars() -> None:
    symbol, invert, scale = CATALOG.usd_conversion("GBX")
    assert symbol is not None
    rate = CATALOG.get(symbol).market.reference_price
    pence = CATALOG.get("VOD.L").market.reference_price
    usd = pence * scale / rate if invert else pence * scale * rate
    assert Decimal("0.5") < usd < Decimal("2")


def test_usd_conversion_of_an_unknown_currency_lists_known_ones() -> None:
    with pytest.raises(NotFoundError, match=r"'XXX'.*known currencies: .*EUR"):
        CATALOG.usd_conversion("XXX")


def test_loading_takes_under_50_ms() -> None:
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        Catalog.load()
        best = min(best, time.perf_counter() - start)
    assert best < 0.05


# --- lookup and filtering -------------------------------------------------------------------


def test_lookup_is_case_insensitive_and_suggests_close_matches() -> None:
    assert CATALOG.get("aapl") is CATALOG.get("AAPL")
    assert CATALOG.get("btc-usd").symbol == "BTC-USD"
    assert "Vod.l" in CATALOG and "NOPE" not in CATALOG and 42 not in CATALOG
    with pytest.raises(NotFoundError) as caught:
        CATALOG.get("APPL")
    assert caught.value.message.startswith("unknown symbol 'APPL'; did you mean AAPL")
    assert "`vtrade instruments`" in caught.value.message
    with pytest.raises(NotFoundError, match="did you mean BTC-USD"):
        CATALOG.get("BTC")


def test_unknown_symbol_without_close_match_gives_no_suggestion() -> None:
    with pytest.raises(NotFoundError) as caught:
        CATALOG.index_of("QQQQQQQQZ")
    assert "did you mean" not in caught.value.message


@given(st.sampled_from(CATALOG.symbols), st.data())
def test_any_casing_of_a_symbol_finds_the_same_instrument(symbol: str, data: st.DataObject) -> None:
    flips = data.draw(st.lists(st.booleans(), min_size=len(symbol), max_size=len(symbol)))
    variant = "".join(c.swapcase() if f else c for c, f in zip(symbol, flips, strict=True))
    assert CATALOG.get(variant).symbol == symbol


def test_positions_are_stable_and_follow_file_order() -> None:
    symbols = CATALOG.symbols
    assert [i.symbol for i in CATALOG] == list(symbols)
    assert len(set(s.upper() for s in symbols)) == len(symbols) == len(CATALOG)
    for position, symbol in enumerate(symbols):
        assert CATALOG.index_of(symbol.lower()) == position
    assert Catalog.load().symbols == symbols


def test_filter_by_asset_class_and_venue() -> None:
    fx = CATALOG.filter("FX")
    assert fx == CATALOG.filter(AssetClass.FX)
    assert all(i.asset_class is AssetClass.FX for i in fx)
    lse = CATALOG.filter(AssetClass.EQUITY, venue="xlon")
    assert lse and all(i.venue == "XLON" and i.currency == "GBX" for i in lse)
    assert CATALOG.filter(venue="ARCX") == [i for i in CATALOG if i.venue == "ARCX"]
    assert CATALOG.filter() == list(CATALOG)
    assert CATALOG.filter("crypto", venue="XNAS") == []


def test_filter_rejects_unknown_asset_class_and_venue_listing_allowed_values() -> None:
    with pytest.raises(ValidationError) as caught:
        CATALOG.filter("bonds")
    assert "'bonds'" in caught.value.message
    assert "equity, etf, crypto, fx, commodity, index" in caught.value.message
    with pytest.raises(ValidationError, match=r"unknown venue 'NYSE'; allowed: .*XNYS"):
        CATALOG.filter(venue="NYSE")


def test_currencies_are_the_quote_currencies_in_use() -> None:
    assert {"USD", "GBX", "GBP", "EUR", "JPY", "HKD"} <= CATALOG.currencies()
    assert CATALOG.currencies() == {i.currency for i in CATALOG}


# --- loading user files ---------------------------------------------------------------------

HEADER = ",".join(COLUMNS)
AAPL = (
    "AAPL,Apple Inc.,equity,XNAS,XNAS,USD,Information Technology,"
    '"Technology Hardware, Storage & Peripherals",0.01,0.0001,1,true,true,271.49,0.016,'
    "50000000,0.5,0.0112,0.5"
)
MSFT = (
    "MSFT,Microsoft Corporation,equity,XNAS,XNAS,USD,Information Technology,Software,"
    "0.01,0.0001,1,true,true,487.12,0.014,20000000,0.5,0.0098,0.5"
)


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "mine.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def with_field(row: str, column: str, value: str) -> str:
    """Replace one field of an unquoted row (MSFT has no quoted fields)."""
    fields = row.split(",")
    fields[COLUMNS.index(column)] = value
    return ",".join(fields)


def load_error(path: Path) -> str:
    with pytest.raises(DataError) as caught:
        Catalog.load(path)
    assert str(path) in caught.value.message
    return caught.value.message


def test_loads_a_user_file_with_the_same_columns(tmp_path: Path) -> None:
    catalog = Catalog.load(write(tmp_path, HEADER, AAPL, MSFT))
    assert catalog.symbols == ("AAPL", "MSFT")
    assert catalog.source == str(tmp_path / "mine.csv")
    msft = catalog.get("msft")
    assert msft.tick_size == Decimal("0.01") and msft.market.reference_price == Decimal("487.12")
    assert isinstance(msft.market.daily_volatility, float)


def test_shipped_file_round_trips_through_a_user_path(tmp_path: Path) -> None:
    packaged = Path(__file__).parents[3] / "src/vtrade/market/data/instruments.csv"
    copy = tmp_path / "copy.csv"
    copy.write_bytes(packaged.read_bytes())
    assert Catalog.load(copy).symbols == CATALOG.symbols
    assert list(Catalog.load(str(copy))) == list(CATALOG)


def test_blank_lines_and_comments_are_skipped_but_lines_still_count(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER, "# my picks", "", AAPL, with_field(MSFT, "shortable", "maybe"))
    assert "line 5, column 'shortable'" in load_error(path)


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        (
            "asset_class",
            "bond",
            "unknown value 'bond'; allowed: equity, etf, crypto, fx, commodity",
        ),
        ("calendar", "NYSE", "allowed: XNYS, XNAS, XLON, XETR, XTKS, XHKG, XPAR, 24/7, FX, GLOBEX"),
        ("tick_size", "abc", "'abc' is not allowed; expected a positive number"),
        ("tick_size", "0", "'0' is not allowed; expected a positive number"),
        ("lot_size", "-1", "expected a positive number"),
        ("multiplier", "NaN", "expected a positive number"),
        ("reference_price", "ten", "expected a positive number"),
        ("reference_price", "487.125", "487.125 is not a multiple of tick_size 0.01"),
        ("daily_volatility", "high", "'high' is not allowed; expected a positive number"),
        ("avg_daily_volume", "0", "expected a positive number"),
        ("typical_spread_bps", "inf", "expected a positive number"),
        ("typical_spread_bps", "0.1", "below one tick"),
        ("impact_gamma", "-0.01", "expected a positive number"),
        ("impact_alpha", "2", "allowed: 0.5 to 1.0"),
        ("shortable", "yes", "'yes' is not a boolean; allowed: true, false"),
        ("marginable", "1", "allowed: true, false"),
        ("currency", "usd", "three-letter upper-case code"),
        ("venue", "", "is empty; a value is required"),
        ("symbol", "MS FT", "is not valid; allowed: letters, digits"),
    ],
)
def test_malformed_field_names_line_column_and_allowed_values(
    tmp_path: Path, column: str, value: str, expected: str
) -> None:
    message = load_error(write(tmp_path, HEADER, AAPL, with_field(MSFT, column, value)))
    assert f"line 3, column '{column}'" in message
    assert expected in message


def test_duplicate_symbol_is_rejected_in_any_case(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, HEADER, AAPL, MSFT, with_field(MSFT, "symbol", "msft")))
    assert "line 4, column 'symbol'" in message
    assert "duplicate symbol 'msft' (first on line 3)" in message


def test_missing_and_extra_columns_are_named(tmp_path: Path) -> None:
    short_header = HEADER.replace(",impact_alpha", ",exchange")
    message = load_error(write(tmp_path, short_header, AAPL))
    assert "line 1" in message
    assert "missing column(s) impact_alpha" in message
    assert "unexpected column(s) exchange" in message
    assert f"expected columns: {HEADER}" in message


def test_row_with_wrong_number_of_fields_is_rejected(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, HEADER, AAPL, MSFT + ",extra"))
    assert "line 3: 20 fields, expected 19" in message


def test_fx_pair_must_be_quoted_in_its_quote_currency(tmp_path: Path) -> None:
    pair = (
        "EUR/USD,Euro / US Dollar,fx,FX,FX,EUR,FX Majors,EUR,0.00001,1,1,true,true,"
        "1.15820,0.0045,50000000000,0.3,0.00315,0.5"
    )
    message = load_error(write(tmp_path, HEADER, pair))
    assert "line 2, column 'currency'" in message and "quote currency USD" in message


def test_currency_without_a_usd_pair_is_rejected_at_load(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, HEADER, AAPL, with_field(MSFT, "currency", "EUR")))
    assert "currency EUR has no FX pair" in message
    assert "EUR/USD or USD/EUR" in message


def test_empty_or_missing_file_is_a_data_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    assert "expected a header row" in load_error(empty)
    assert "cannot read the file" in load_error(tmp_path / "absent.csv")


def test_a_coin_is_found_spelled_with_a_slash_as_alpaca_and_exchanges_spell_it() -> None:
    """Session 22's crypto review: `vtrade estimate BTC/USD ...` and the native API refused
    the spelling /v2 accepts; FX keeps its own slash, and no other symbol is rewritten."""
    catalog = Catalog.load()
    assert catalog.get("BTC/USD").symbol == "BTC-USD"
    assert catalog.get(" eth/usd ").symbol == "ETH-USD"
    assert catalog.get("EUR/USD").symbol == "EUR/USD"
    with pytest.raises(NotFoundError):
        catalog.get("VOD/L")
