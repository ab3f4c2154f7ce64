"""Realism profiles: how much friction the simulated venue applies (stamped on every fill)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from vtrade.core.clock import NS_PER_SECOND
from vtrade.domain.accounts import Profile
from vtrade.domain.orders import Order


@dataclass(frozen=True, slots=True)
class RealismProfile:
    """`frictionless`: everything fills at once at the mid, free. `realistic`: the book, impact,
    partial fills and fees as modeled. `harsh`: slower hands and thinner books: orders reach
    the market half a second after they are accepted (others trade first), may take only half
    of each displayed level (a level of one lot whole, rather than trade through it), join at
    most 5% of the market's volume while working, and pay 25% more in commission."""

    name: Profile
    friction: bool
    latency_ns: int
    depth_share: Decimal  # share of each displayed level an order may take
    participation: Decimal  # cap on a working order's share of market volume per step
    maker_share: Decimal  # share of volume printing at/through a resting limit that reaches it
    fee_multiplier: Decimal


PROFILES = {
    Profile.FRICTIONLESS: RealismProfile(
        Profile.FRICTIONLESS, False, 0, Decimal(1), Decimal(1), Decimal(1), Decimal(0)
    ),
    Profile.REALISTIC: RealismProfile(
        Profile.REALISTIC, True, 0, Decimal(1), Decimal("0.10"), Decimal("0.5"), Decimal(1)
    ),
    Profile.HARSH: RealismProfile(
        Profile.HARSH,
        True,
        NS_PER_SECOND // 2,
        Decimal("0.5"),
        Decimal("0.05"),
        Decimal("0.25"),
        Decimal("1.25"),
    ),
}

_BY_NAME = {p.value: rules for p, rules in PROFILES.items()}


def rules_named(name: str) -> RealismProfile:
    """The profile stamped as `name` on an order or a fill."""
    return _BY_NAME[name]


def cancel_sent_ns(order: Order) -> int | None:
    """When the cancel on its way to `order` was sent (its profile's latency before it
    arrives), or None if none is."""
    due = order.cancel_due_ns
    return None if due is None else due - rules_of(order).latency_ns


def last_change_ns(order: Order) -> int:
    """When `order` last changed as its owner sees it: `updated_ns`, or, if later, when a
    cancel on its way was sent. `updated_ns` stays as it was: a working order's
    participation counts from it."""
    sent = cancel_sent_ns(order)
    if sent is None or not order.is_open:
        return order.updated_ns
    return max(order.updated_ns, sent)


def arrival_ns(order: Order) -> int:
    """When `order` reached the market, or will (its profile's latency after it was sent)."""
    return order.sent_ns + rules_of(order).latency_ns


def rules_of(order: Order) -> RealismProfile:
    """The profile `order` was submitted under: it prices all its fills, whatever profile
    the account switches to while it is open."""
    return _BY_NAME[order.profile]
