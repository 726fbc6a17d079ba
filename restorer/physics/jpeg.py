"""JPEG compression artefacts, simulated in torch (8x8 DCT, IJG quantisation tables).

Chroma is not subsampled; that keeps the operator exact per block and fast on a GPU while
producing the blocking and ringing that real scans of JPEG files show.
"""

from __future__ import annotations

import math

import torch

_LUMA = [
    16,
    11,
    10,
    16,
    24,
    40,
    51,
    61,
    12,
    12,
    14,
    19,
    26,
    58,
    60,
    55,
    14,
    13,
    16,
    24,
    40,
    57,
    69,
    56,
    14,
    17,
    22,
    29,
    51,
    87,
    80,
    62,
    18,
    22,
    37,
    56,
    68,
    109,
    103,
    77,
    24,
    35,
    55,
    64,
    81,
    104,
    113,
    92,
    49,
    64,
    78,
    87,
    103,
    121,
    120,
    101,
    72,
    92,
    95,
    98,
    112,
    100,
    103,
    99,
]
_CHROMA = [
    17,
    18,
    24,
    47,
    99,
    99,
    99,
    99,
    18,
    21,
    26,
    66,
    99,
    99,
    99,
    99,
    24,
    26,
    56,
    99,
    99,
    99,
    99,
    99,
    47,
    66,
    99,
    99,
    99,
    99,
    99,
    99,
] + [99] * 32


def _dct_matrix(device: torch.device) -> torch.Tensor:
    k = torch.arange(8, dtype=torch.float32, device=device)
    m = torch.cos((2 * k[None, :] + 1) * k[:, None] * math.pi / 16) * math.sqrt(2 / 8)
    m[0] /= math.sqrt(2)
    return m


def _tables(quality: torch.Tensor) -> torch.Tensor:
    """(B, 3, 8, 8) quantisation tables for IJG quality 1..100."""
    q = quality.float().clamp(1, 100)
    scale = torch.where(q < 50, 5000 / q, 200 - 2 * q)
    base = torch.tensor([_LUMA, _CHROMA, _CHROMA], device=quality.device, dtype=torch.float32)
    tables = torch.floor((base[None] * scale[:, None, None] + 50) / 100).clamp(1, 255)
    return tables.view(-1, 3, 8, 8)


def jpeg_compress(x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
    """x: (B, 3, H, W) RGB in [0, 1], H and W multiples of 8; quality: (B,) in 1..100."""
    b, c, h, w = x.shape
    if c != 3 or h % 8 or w % 8:
        raise ValueError("jpeg_compress needs RGB with sides that are multiples of 8")
    rgb = x.clamp(0, 1) * 255
    r, g, bl = rgb.unbind(1)
    ycc = torch.stack(
        [
            0.299 * r + 0.587 * g + 0.114 * bl - 128,
            -0.168736 * r - 0.331264 * g + 0.5 * bl,
            0.5 * r - 0.418688 * g - 0.081312 * bl,
        ],
        dim=1,
    )
    d = _dct_matrix(x.device)
    blocks = ycc.view(b, 3, h // 8, 8, w // 8, 8).permute(0, 1, 2, 4, 3, 5)
    coef = d @ blocks @ d.T
    table = _tables(quality)[:, :, None, None]
    coef = torch.round(coef / table) * table
    blocks = d.T @ coef @ d
    ycc = blocks.permute(0, 1, 2, 4, 3, 5).reshape(b, 3, h, w)
    y, cb, cr = ycc[:, 0] + 128, ycc[:, 1], ycc[:, 2]
    out = torch.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], dim=1)
    return (torch.round(out.clamp(0, 255)) / 255).to(x.dtype)
