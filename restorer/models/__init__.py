"""Pure torch networks, their descriptors, the explicit registry and the weight loader."""
