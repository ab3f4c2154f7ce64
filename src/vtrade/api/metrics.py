"""Prometheus metrics: requests and latencies by route, orders and fills by outcome, market
steps and repriced instruments, WebSocket clients, and the process's CPU and memory. Served
at `/metrics`."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vtrade.core import topics
from vtrade.core.bus import InProcessBus
from vtrade.domain import events as ev

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
_ORDER_EVENTS: dict[type, str] = {
    ev.OrderAccepted: "accepted",
    ev.OrderRouted: "routed",
    ev.OrderCancelRequested: "pending_cancel",
    ev.OrderReplaceRequested: "pending_replace",
    ev.OrderCanceled: "canceled",
    ev.OrderExpired: "expired",
    ev.OrderRejected: "rejected",
    ev.OrderReplaced: "replaced",
}


class Metrics:
    """The server's metrics, in a registry of its own (several apps can live in one test)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        ProcessCollector(registry=r)  # process_cpu_seconds_total etc., read from /proc on Linux
        self.requests = Counter(
            "vtrade_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "vtrade_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.orders = Counter("vtrade_orders", "Order lifecycle events", ["event"], registry=r)
        self.order_batch = Histogram(
            "vtrade_order_batch_size",
            "Orders committed together in one transaction (group commit)",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512),
            registry=r,
        )
        self.fills = Counter("vtrade_fills", "Fills (partial and final)", registry=r)
        self.steps = Counter("vtrade_steps", "Market and portfolio steps", registry=r)
        self.step_seconds = Histogram(
            "vtrade_step_seconds",
            "Time one runtime step held the event loop",
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.ticks = Counter("vtrade_ticks", "Instrument prices applied to portfolios", registry=r)
        self.ws_clients = Gauge("vtrade_ws_clients", "Connected WebSocket clients", registry=r)
        self.ws_dropped = Counter(
            "vtrade_ws_dropped", "WebSocket clients dropped for lagging", registry=r
        )

    def follow(self, bus: InProcessBus) -> None:
        """Count order events as they are published."""
        bus.subscribe(f"{topics.ORDERS}.*", self._on_order_event)

    def _on_order_event(self, event: object) -> None:
        if isinstance(event, ev.OrderFilled):
            self.fills.inc()
            self.orders.labels("filled" if not event.partial else "partially_filled").inc()
            return
        name = _ORDER_EVENTS.get(type(event))
        if name:
            self.orders.labels(name).inc()


class MetricsMiddleware:
    """Count and time every HTTP request by its route template (not its raw path)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = _route(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - start)


def _route(scope: Scope) -> str:
    """The matched route's whole template, e.g. `/api/v1/accounts/{account_id}/orders`.

    FastAPI matches included routers lazily, so the route knows only its own part of the
    path; what the request path has in front of the part the route matches is its routers'
    prefixes (fixed text)."""
    route = scope.get("route")
    template: str | None = getattr(route, "path_format", None)  # `{symbol}`, not `{symbol:path}`
    regex = getattr(route, "path_regex", None)
    if not template or regex is None:
        return "unmatched"
    path: str = scope["path"]
    start = 0
    while start != -1:
        if regex.match(path[start:]):
            return path[:start] + template
        start = path.find("/", start + 1)
    return template
