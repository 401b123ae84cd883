"""adwatch: edge."""
