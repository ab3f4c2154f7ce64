"""Real implementations of the ports: SQL, hot stores, transports, feeds, LLM providers."""
