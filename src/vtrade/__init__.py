"""vtrade: a self-hostable, high-fidelity paper trading simulator."""

__version__ = "0.1.0"
