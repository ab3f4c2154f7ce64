"""Clock, ids, money, messages, bus and errors: the parts every layer shares (stdlib only)."""
