"""Runs tasks: device choice, model cache, out-of-memory fallback, progress and cancel.

Synchronous and Qt-free; the GUI calls it from a worker thread.
"""
