"""Pure model: instruments, market data, orders, positions, commands, events (stdlib only)."""
