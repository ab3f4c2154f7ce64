"""Application layer: ports, command handlers, queries and the runtime."""
