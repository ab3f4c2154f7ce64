"""The simulated venue: validation, session routing, fill model, fees, receipts."""
