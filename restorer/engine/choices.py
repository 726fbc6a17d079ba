"""The run settings every front end offers, declared once (without torch, so that parsing a
command line does not load it): where models run, in what precision, on which CPU runtime."""

from __future__ import annotations

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
PRECISION_CHOICES = ("auto", "float32")
# The runtime of the bundled networks on the CPU: "auto" = OpenVINO when it is installed.
BACKEND_CHOICES = ("auto", "torch", "openvino")
