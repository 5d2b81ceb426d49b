"""Finding writers for step 5, one module per rule family; each registers itself on import."""
