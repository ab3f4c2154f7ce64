"""Orders know their group: the bracket, oto or oco they belong to.

`group_id` is the id of the group's first entry, on its entry as it stands and on every
version of its legs, so that a nested listing reads a group in one query however often its
orders were replaced (it followed `replaced_by` one read a version). An entry replaced has
none: it is listed on its own, its legs are its replacement's. Existing groups get theirs from
the links their orders already carry: a leg's parent, an entry's legs, a replacement's
`replaces`.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import NamedTuple

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX, CURRENT_INDEX = "ix_orders_group", "ix_orders_group_current"
GROUPED = "group_id IS NOT NULL"
AS_IT_STANDS = f"{GROUPED} AND replaced_by IS NULL"
_A_WRITE = 500  # updates an executemany


def upgrade() -> None:
    op.add_column("orders", sa.Column("group_id", sa.String(), nullable=True))
    op.create_index(
        INDEX,
        "orders",
        ["group_id", "created_ns"],
        postgresql_where=sa.text(GROUPED),
        sqlite_where=sa.text(GROUPED),
    )
    op.create_index(
        CURRENT_INDEX,
        "orders",
        ["group_id"],
        postgresql_where=sa.text(AS_IT_STANDS),
        sqlite_where=sa.text(AS_IT_STANDS),
    )
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index(CURRENT_INDEX, table_name="orders")
    op.drop_index(INDEX, table_name="orders")
    op.drop_column("orders", "group_id")


def _backfill(conn: sa.Connection) -> None:
    orders = sa.table(
        "orders",
        sa.column("id"),
        sa.column("replaces"),
        sa.column("replaced_by"),
        sa.column("extra"),
        sa.column("group_id"),
    )
    linked = orders.c.extra.like('%"legs"%') | orders.c.extra.like('%"parent_id"%')
    query = sa.select(orders.c.id, orders.c.replaces, orders.c.replaced_by, orders.c.extra)
    links: dict[str, Links] = {}
    for order_id, replaces, replaced_by, text in conn.execute(query.where(linked)):
        extra = json.loads(text)
        links[order_id] = Links(replaces, extra.get("parent_id"), "legs" in extra, replaced_by)
    update = orders.update().where(orders.c.id == sa.bindparam("order_id"))
    values = [{"order_id": i, "group": g} for i, g in sorted(groups_of(links).items())]
    for i in range(0, len(values), _A_WRITE):
        conn.execute(update.values(group_id=sa.bindparam("group")), values[i : i + _A_WRITE])


class Links(NamedTuple):
    replaces: str | None
    parent: str | None
    holds_legs: bool  # an entry
    replaced_by: str | None


def groups_of(links: dict[str, Links]) -> dict[str, str]:
    """The group of each order of a bracket, oto or oco, from its links by id: a
    replacement's is the replaced order's, a leg's its parent's, a first entry's its own id;
    an entry replaced has none. Chains of replacements are walked without recursion; an order
    that leads to no entry (a simple one whose extra merely mentions legs) has none."""
    groups: dict[str, str | None] = {}
    for start in links:
        chain, on_chain, at = [], set(), start
        while at not in groups:
            chain.append(at)
            on_chain.add(at)
            link = links[at]
            up = link.replaces if link.replaces in links else link.parent
            if up is None or up not in links or up in on_chain:
                groups[at] = at if link.holds_legs else None
                break
            at = up
        groups.update(dict.fromkeys(chain, groups[at]))
    return {
        order_id: group
        for order_id, group in groups.items()
        if group is not None and not (links[order_id].holds_legs and links[order_id].replaced_by)
    }
