"""The WebSocket fan-out shared by the native `/api/v1/ws` and the Alpaca `/stream`.

One `Gateway` per app, made by `gateway_of(conn)` on the first WebSocket and kept in
`state.extras["gateway"]`. It follows the bus only for what someone watches: the first client
on an account's `portfolio`, `orders` or `alerts` channel subscribes that exact topic and the
last to leave unsubscribes it, so the portfolio service still skips unread deltas.

Bus handlers run synchronously on the loop's thread inside the runtime step, so an event is
encoded once per wire format (`Encoder`), never per client, and put on each subscriber's
queue with `put_nowait`; one writer task per client drains it. A client more than
`settings.api.ws_queue` messages behind that sends nothing for `LAG_GRACE_S` (or falls
`HARD_LAG_FACTOR` times that far behind) is closed with 1008 "client too slow: N messages
behind" and counted in `ws_dropped`; nobody waits for it. The grace lets a reading client
take a burst larger than its queue (a bot's batch of orders arrives in one step, before any
writer can run). Order events carry the order as it
stood just after the event and fills their receipt; a replacement's events wait for the old
order's `replaced` (alpaca-compat.md §9). Watched quotes and books are polled every
`max(step_ms, 50)` ms and pushed when changed, yielding between symbols so writers drain.

Modules: `hub` (the `Gateway`: clients, subscriptions, fan-out), `client` (one connection's
queue, lag and drop policy), `orders` (order updates, replacements held back), `market`
(quote and book polling), `receive` (the authentication deadline), `channels` (their names).
"""
