"""The outbox side of `SqlStore`: pending events handed out in order, then marked published.

Decoding a payload back into its event cost more than the rest of the relay, so the store
remembers the events it committed itself (frozen, of plain values: the same as their decoded
payloads) and hands those out as they are; rows written by other processes, or after the
memory was dropped, are decoded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, bindparam, false, select, update

from vtrade.adapters.sql.codec import EventCodec
from vtrade.adapters.sql.tables import outbox
from vtrade.app.ports import OutboxItem
from vtrade.core.messages import Event

_MARK_CHUNK = 1000  # seqs per UPDATE, well under every driver's bound-parameter limit
_REMEMBERED = 100_000  # events kept for the relay; past that, forget them all (and decode)

_PENDING = (
    select(outbox.c.seq, outbox.c.event_id, outbox.c.type, outbox.c.payload)
    .where(outbox.c.published == false())
    .order_by(outbox.c.seq)
    .limit(bindparam("limit"))
)
_MARK = (
    update(outbox)
    .where(outbox.c.seq.in_(bindparam("seqs", expanding=True)), outbox.c.published == false())
    .values(published=True, published_ns=bindparam("now"))
)


class OutboxReader:
    """Pending outbox rows as events, and their marking once published."""

    def __init__(self, codec: EventCodec) -> None:
        self._codec = codec
        self._committed: dict[str, Event] = {}  # by event id, until handed out

    def remember(self, events: Iterable[Event]) -> None:
        """Keep events whose commit succeeded, so `pending` need not decode them."""
        if len(self._committed) > _REMEMBERED:
            self._committed.clear()
        for e in events:
            self._committed[e.id] = e

    def pending(self, conn: Connection, limit: int) -> list[OutboxItem]:
        """Rows not yet published, oldest first."""
        found = conn.execute(_PENDING, {"limit": limit}).all()
        return [
            OutboxItem(seq=r.seq, event=self._event(r.event_id, r.type, r.payload)) for r in found
        ]

    def mark(self, conn: Connection, seqs: Sequence[int], now_ns: int) -> None:
        """Mark rows published; rows already marked keep their first time."""
        unique = sorted(set(seqs))
        for i in range(0, len(unique), _MARK_CHUNK):
            conn.execute(_MARK, {"seqs": unique[i : i + _MARK_CHUNK], "now": now_ns})

    def _event(self, event_id: str, type_name: str, payload: str) -> Event:
        event = self._committed.pop(event_id, None)
        return event if event is not None else self._codec.decode(type_name, payload)
