"""Errors the front ends show to users as they are: the message is the explanation."""

from __future__ import annotations


class ImageReadError(Exception):
    """A file could not be read as an image (corrupt, truncated, unsupported, too large)."""


class ImageWriteError(Exception):
    """An image could not be written (format limits, refused overwrite, disk errors)."""
