"""Base classes for commands and events: frozen, slotted, keyword-only, with id and timestamps."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Anything that travels on the bus."""

    id: str
    ts_init: int  # when the message object was created, ns since epoch


@dataclass(frozen=True, slots=True, kw_only=True)
class Command(Message):
    """An imperative request with exactly one handler; handlers raise on failure."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Message):
    """Something that happened (past tense); any number of handlers, failures isolated."""

    ts_event: int  # when it happened, ns since epoch
