"""JSON codecs for what the tables keep as text: outbox events, fill receipts, order extras.

Decimals travel as strings so that every digit survives; enums as their values; dataclasses
as objects in field order. Decoding is driven by the dataclass type hints, so a payload comes
back as the same frozen dataclass with the same field types.
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

import orjson

from vtrade.core.messages import Event
from vtrade.domain.orders import Receipt

Converter = Callable[[Any], Any]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON: {value!r}")


def dumps(value: Any) -> str:
    """Encode dataclasses, Decimals (as strings), enums and containers as compact JSON."""
    return orjson.dumps(value, default=_default, option=orjson.OPT_SORT_KEYS).decode()


def _identity(value: Any) -> Any:
    return value


def _converter(tp: Any) -> Converter:
    """Build a function that turns decoded JSON back into a value of type `tp`."""
    if tp is Decimal:
        return Decimal
    if tp in (str, int, bool, float, Any):
        return _identity
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass_converter(tp)
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) != 1:
            raise TypeError(f"unsupported union in a stored type: {tp!r}")
        convert = _converter(inner[0])
        return lambda v: None if v is None else convert(v)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            return lambda v: tuple(item(x) for x in v)
        parts = [_converter(a) for a in args]
        return lambda v: tuple(c(x) for c, x in zip(parts, v, strict=True))
    if origin is list:
        item = _converter(args[0])
        return lambda v: [item(x) for x in v]
    if origin is dict:
        key, val = _converter(args[0]), _converter(args[1])
        return lambda v: {key(k): val(x) for k, x in v.items()}
    raise TypeError(f"unsupported type in a stored dataclass: {tp!r}")


def _dataclass_converter(cls: type[Any]) -> Converter:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _converter(hints[f.name])) for f in dataclasses.fields(cls)]

    def convert(data: dict[str, Any]) -> Any:
        # Unknown keys are ignored and missing ones take their defaults, so payloads written
        # before a field was added or removed still decode.
        return cls(**{name: conv(data[name]) for name, conv in fields if name in data})

    return convert


_receipt_from_json = _dataclass_converter(Receipt)


def encode_receipt(receipt: Receipt) -> str:
    """Return the receipt as JSON text."""
    return dumps(receipt)


def decode_receipt(text: str) -> Receipt:
    """Rebuild a receipt from `encode_receipt` output."""
    receipt: Receipt = _receipt_from_json(orjson.loads(text))
    return receipt


def encode_extra(extra: dict[str, str]) -> str:
    return dumps(extra)


def decode_extra(text: str) -> dict[str, str]:
    data: dict[str, str] = orjson.loads(text)
    return data


def event_classes(module: types.ModuleType) -> list[type[Event]]:
    """Return the concrete event dataclasses defined in `module`."""
    found = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, Event)
            and value.__module__ == module.__name__
            and dataclasses.is_dataclass(value)
        ):
            found.append(value)
    return found


class EventCodec:
    """Turn events into (type name, JSON payload) pairs and back, through a registry."""

    def __init__(self, classes: Iterable[type[Event]] = ()) -> None:
        self._by_name: dict[str, type[Event]] = {}
        self._decoders: dict[str, Converter] = {}
        for cls in classes:
            self.register(cls)

    def register(self, cls: type[Event]) -> type[Event]:
        """Add an event class under its class name; two classes may not share a name."""
        name = cls.__name__
        known = self._by_name.get(name)
        if known is not None and known is not cls:
            raise ValueError(f"event type name {name!r} is already taken by {known!r}")
        self._by_name[name] = cls
        self._decoders[name] = _dataclass_converter(cls)
        return cls

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self._by_name)

    def type_name(self, event: Event) -> str:
        name = type(event).__name__
        if self._by_name.get(name) is not type(event):
            raise KeyError(f"event type {name!r} is not registered with the codec")
        return name

    def encode(self, event: Event) -> tuple[str, str]:
        """Return (type name, JSON payload) for `event`."""
        return self.type_name(event), dumps(event)

    def decode(self, type_name: str, payload: str) -> Event:
        """Rebuild the event that `encode` returned (type name, payload) for."""
        try:
            decoder = self._decoders[type_name]
        except KeyError:
            known = ", ".join(sorted(self._by_name))
            raise KeyError(f"unknown event type {type_name!r}; registered: {known}") from None
        event: Event = decoder(orjson.loads(payload))
        return event


def default_codec() -> EventCodec:
    """Return a codec that knows every event class of `vtrade.domain.events`."""
    from vtrade.domain import events

    return EventCodec(event_classes(events))
