"""Bundled model weights, samples and icons (installed as restorer_resources)."""
