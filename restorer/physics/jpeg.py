"""JPEG compression artefacts, simulated in torch (8x8 DCT, IJG quantisation tables).

By default chroma is not subsampled; that keeps the operator exact per block and fast on a GPU
while producing the blocking and ringing that real scans of JPEG files show. Cameras write
4:2:0 (chroma averaged over 2x2 pixels, then coded in 8x8 blocks: 16x16 pixels), which turns
their chroma noise into the 16-pixel colour blotches of real photographs: `subsample_chroma`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

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


def _code_blocks(planes: torch.Tensor, tables: torch.Tensor) -> torch.Tensor:
    """Quantise (B, P, H, W) planes in 8x8 DCT blocks with (B, P, 8, 8) tables."""
    b, p, h, w = planes.shape
    d = _dct_matrix(planes.device)
    blocks = planes.reshape(b, p, h // 8, 8, w // 8, 8).permute(0, 1, 2, 4, 3, 5)
    coef = d @ blocks @ d.T
    table = tables[:, :, None, None]
    coef = torch.round(coef / table) * table
    return (d.T @ coef @ d).permute(0, 1, 2, 4, 3, 5).reshape(b, p, h, w)


def jpeg_compress(
    x: torch.Tensor, quality: torch.Tensor, subsample_chroma: bool = False
) -> torch.Tensor:
    """x: (B, 3, H, W) RGB in [0, 1], H and W multiples of 8 (of 16 with subsample_chroma);
    quality: (B,) in 1..100."""
    c, h, w = x.shape[1:]
    multiple = 16 if subsample_chroma else 8
    if c != 3 or h % multiple or w % multiple:
        raise ValueError(f"jpeg_compress needs RGB with sides that are multiples of {multiple}")
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
    tables = _tables(quality.to(x.device))  # callers draw qualities on the CPU
    if subsample_chroma:
        luma = _code_blocks(ycc[:, :1], tables[:, :1])
        chroma = _code_blocks(F.avg_pool2d(ycc[:, 1:], 2), tables[:, 1:])
        chroma = F.interpolate(chroma, scale_factor=2, mode="bilinear", align_corners=False)
        ycc = torch.cat([luma, chroma], dim=1)
    else:
        ycc = _code_blocks(ycc, tables)
    y, cb, cr = ycc[:, 0] + 128, ycc[:, 1], ycc[:, 2]
    out = torch.stack([y + 1.402 * cr, y - 0.344136 * cb - 0.714136 * cr, y + 1.772 * cb], dim=1)
    return (torch.round(out.clamp(0, 255)) / 255).to(x.dtype)
