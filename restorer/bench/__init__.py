"""Benchmarks: quality and speed on the standard test sets, printed as Markdown tables."""
