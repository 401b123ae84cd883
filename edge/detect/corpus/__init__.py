"""Synthetic broadcast corpus: timeline planning (pure), rendering, audio, muxing."""
