"""The reverse position index: instrument -> the accounts holding it, as flat numpy arrays.

Each instrument owns a block of slots in the flat arrays (with room to grow), so one price
tick touches exactly its holders through one contiguous slice, and a batch of ticks gathers
every slot at once. A block that fills up moves to the end with twice the room; the holes it
leaves hold zero quantity (they add nothing) until the next compaction.
"""

from __future__ import annotations

import numpy as np

from vtrade.portfolio.arrays import grow

_MIN_ROOM = 4
_SLOT_VALUES = ("qty", "abs_qty", "cost_qty", "carry_qty")  # per slot, besides account and side


class Holdings:
    """Positions by (account, instrument) index: signed qty and its cost (`cost_qty`)."""

    def __init__(self, n_instruments: int) -> None:
        self.start = np.zeros(n_instruments, dtype=np.int64)
        self.count = np.zeros(n_instruments, dtype=np.int64)
        self.room = np.zeros(n_instruments, dtype=np.int64)
        self.account = np.zeros(0, dtype=np.int64)
        self.instrument = np.zeros(0, dtype=np.int64)
        self.qty = np.zeros(0)
        self.abs_qty = np.zeros(0)
        # qty * average price * entry FX: the cost in VCR, before the multiplier
        self.cost_qty = np.zeros(0)
        # qty * average price (quote currency) of a contract that settles P&L, else 0: what an
        # FX tick revalues (`Valuation.carry`)
        self.carry_qty = np.zeros(0)
        # account * 2 for a long slot, account * 2 + 1 for a short one: where a tick's value
        # change lands, so one scatter updates long and short values (net and gross) at once
        self.side = np.zeros(0, dtype=np.int64)
        self.size = 0  # slots in use, holes included
        self.live = 0
        self.layout_version = 0  # bumped when slots move (cached orderings are then stale)
        self._slot: dict[tuple[int, int], int] = {}
        self._held: dict[int, set[int]] = {}  # account -> instruments it holds

    def __len__(self) -> int:
        return self.live

    def block(self, i: int) -> slice:
        """The slots of instrument `i`'s holders."""
        s = int(self.start[i])
        return slice(s, s + int(self.count[i]))

    def get(self, a: int, i: int) -> tuple[float, float, float]:
        """(qty, cost_qty, carry_qty) of account `a` in instrument `i` (zeros when flat)."""
        slot = self._slot.get((a, i))
        if slot is None:
            return 0.0, 0.0, 0.0
        return float(self.qty[slot]), float(self.cost_qty[slot]), float(self.carry_qty[slot])

    def set(
        self, a: int, i: int, qty: float, cost_qty: float, carry_qty: float = 0.0
    ) -> tuple[float, float, float]:
        """Set account `a`'s position in instrument `i`; return the previous (qty, cost_qty,
        carry_qty)."""
        old = self.get(a, i)
        slot = self._slot.get((a, i))
        if slot is None:
            if qty == 0:
                return old
            slot = self._add(a, i)
        elif qty == 0:
            self._remove(a, i, slot)
            return old
        self.qty[slot], self.abs_qty[slot], self.cost_qty[slot] = qty, abs(qty), cost_qty
        self.carry_qty[slot] = carry_qty
        self.side[slot] = 2 * a + (qty < 0)
        return old

    def of_account(self, a: int) -> list[tuple[int, int]]:
        """(instrument, slot) of every position of account `a`, by instrument."""
        return [(i, self._slot[(a, i)]) for i in sorted(self._held.get(a, ()))]

    def _add(self, a: int, i: int) -> int:
        if self.count[i] == self.room[i]:
            self._grow(i)
        slot = int(self.start[i] + self.count[i])
        self.count[i] += 1
        self.account[slot], self.instrument[slot] = a, i
        self._slot[(a, i)] = slot
        self._held.setdefault(a, set()).add(i)
        self.live += 1
        return slot

    def _remove(self, a: int, i: int, slot: int) -> None:
        last = int(self.start[i] + self.count[i] - 1)
        if slot != last:  # the block's last holder takes the freed slot
            moved = int(self.account[last])
            for name in ("account", "side", *_SLOT_VALUES):
                getattr(self, name)[slot] = getattr(self, name)[last]
            self._slot[(moved, i)] = slot
        for name in ("account", "side", *_SLOT_VALUES):
            getattr(self, name)[last] = 0
        self.count[i] -= 1
        del self._slot[(a, i)]
        self._held[a].discard(i)
        self.live -= 1
        self.layout_version += 1

    def _grow(self, i: int) -> None:
        """Move instrument `i`'s block to the end with twice the room."""
        if self.size > 2 * self.live + 1024:
            self._compact()
            if self.count[i] < self.room[i]:
                return
        room = max(_MIN_ROOM, 2 * int(self.room[i]))
        self._reserve(self.size + room)
        old, n, new = int(self.start[i]), int(self.count[i]), self.size
        for name in ("account", "side", *_SLOT_VALUES):
            arr = getattr(self, name)
            arr[new : new + n] = arr[old : old + n]
            arr[old : old + n] = 0
        self.instrument[new : new + room] = i
        for k in range(n):
            self._slot[(int(self.account[new + k]), i)] = new + k
        self.start[i], self.room[i] = new, room
        self.size += room
        self.layout_version += 1

    def _reserve(self, size: int) -> None:
        if size <= self.qty.shape[0]:
            return
        capacity = max(size, 2 * self.qty.shape[0], 1024)
        grow(self, ("account", "instrument", *_SLOT_VALUES, "side"), capacity)

    def _compact(self) -> None:
        """Lay the blocks out again without holes, each with half its count spare."""
        rooms = np.maximum(_MIN_ROOM, self.count + self.count // 2)
        starts = np.concatenate(([0], np.cumsum(rooms)[:-1]))
        total = int(rooms.sum())
        arrays = {
            "account": np.zeros(total, dtype=np.int64),
            "instrument": np.repeat(np.arange(self.count.shape[0]), rooms),
            "qty": np.zeros(total),
            "abs_qty": np.zeros(total),
            "cost_qty": np.zeros(total),
            "carry_qty": np.zeros(total),
            "side": np.zeros(total, dtype=np.int64),
        }
        for i in range(self.count.shape[0]):
            n, old, new = int(self.count[i]), int(self.start[i]), int(starts[i])
            for name in ("account", *_SLOT_VALUES, "side"):
                arrays[name][new : new + n] = getattr(self, name)[old : old + n]
        for name, arr in arrays.items():
            setattr(self, name, arr)
        self._slot = {
            (int(self.account[slot]), i): slot
            for i in range(self.count.shape[0])
            for slot in range(int(starts[i]), int(starts[i] + self.count[i]))
        }
        self.start, self.room, self.size = starts.astype(np.int64), rooms.astype(np.int64), total
        self.layout_version += 1
