"""The outbox side of `SqlStore`: pending events handed out in order, then marked published.

Decoding a payload back into its event cost more than the rest of the relay, so the store
remembers the events it committed itself (frozen, of plain values: the same as their decoded
payloads) and hands those out as they are; rows written by other processes, or after the
memory was dropped, are decoded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, bindparam, delete, false, select, true, update

from vtrade.adapters.sql.codec import EventCodec
from vtrade.adapters.sql.tables import outbox
from vtrade.app.ports import OutboxItem
from vtrade.core.messages import Event

_REMEMBERED = 100_000  # events kept for the relay; past that, forget them all (and decode)

_PENDING = (
    select(outbox.c.seq, outbox.c.event_id, outbox.c.type, outbox.c.payload)
    .where(outbox.c.published == false())
    .order_by(outbox.c.seq)
    .limit(bindparam("limit"))
)
# By runs of consecutive seqs (a relay marks one run, as a rule): a list of seqs to match
# cost more to render into SQL than the update itself.
_MARK = (
    update(outbox)
    .where(outbox.c.seq.between(bindparam("first"), bindparam("last")))
    .where(outbox.c.published == false())
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
            OutboxItem(seq=seq, event=self._event(event_id, type_name, payload))
            for seq, event_id, type_name, payload in found
        ]

    def mark(self, conn: Connection, seqs: Sequence[int], now_ns: int) -> None:
        """Mark rows published; rows already marked keep their first time."""
        runs = [{"first": first, "last": last, "now": now_ns} for first, last in _runs(seqs)]
        if runs:
            conn.execute(_MARK, runs)

    def purge(self, conn: Connection, before_ns: int, limit: int) -> int:
        """Delete up to `limit` of the oldest rows published before `before_ns`; return how
        many went. Rows are published in seq order, so the oldest come first along the
        (published, seq) index and the scan stops after `limit` of them."""
        oldest = (
            select(outbox.c.seq)
            .where(outbox.c.published == true())
            .where(outbox.c.published_ns < before_ns)
            .order_by(outbox.c.seq)
            .limit(limit)
        )
        gone = conn.execute(delete(outbox).where(outbox.c.seq.in_(oldest.scalar_subquery())))
        return int(gone.rowcount)

    def _event(self, event_id: str, type_name: str, payload: str) -> Event:
        event = self._committed.pop(event_id, None)
        return event if event is not None else self._codec.decode(type_name, payload)


def _runs(seqs: Iterable[int]) -> list[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers among `seqs`, in order."""
    runs: list[tuple[int, int]] = []
    for seq in sorted(set(seqs)):
        if runs and seq == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], seq)
        else:
            runs.append((seq, seq))
    return runs
