"""Catalog, sessions, synthetic market, bars and feeds."""
