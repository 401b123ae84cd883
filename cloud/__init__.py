"""adwatch: cloud."""
