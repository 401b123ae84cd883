"""adwatch: schemas."""
