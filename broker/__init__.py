"""adwatch: broker."""
