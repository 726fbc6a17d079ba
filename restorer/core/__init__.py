"""Numpy-only foundation: the Image type, progress/cancellation and the one tiler.

Never imports Qt or torch.
"""
