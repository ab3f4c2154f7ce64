"""The HTTP and WebSocket interfaces: the native API, the Alpaca-compatible API, health and
metrics. Entry points only: they translate requests into commands and queries."""
