"""Restorer: offline restoration of photos, scans and CT images with bundled PyTorch models."""

__version__ = "0.1.0"
