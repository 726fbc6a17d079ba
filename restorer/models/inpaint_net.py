"""Mask-conditioned encoder-decoder for inpainting.

Gated convolutions let the network learn which pixels are valid (Yu et al. 2019); the
bottleneck mixes dilated convolutions with Fourier units (LaMa, Suvorov et al. 2022) whose
receptive field is the whole working crop, so large holes fill with structure, not blur.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GatedConv(nn.Module):
    def __init__(
        self, cin: int, cout: int, kernel: int = 3, stride: int = 1, dilation: int = 1
    ) -> None:
        super().__init__()
        pad = dilation * (kernel - 1) // 2
        self.conv = nn.Conv2d(cin, 2 * cout, kernel, stride=stride, padding=pad, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feature, gate = self.conv(x).chunk(2, dim=1)
        return F.elu(feature) * torch.sigmoid(gate)


class FourierUnit(nn.Module):
    """1x1 convolution in the frequency domain: every output pixel sees the whole map."""

    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2 * width, 2 * width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        dtype = x.dtype
        spec = torch.fft.rfft2(x.float(), norm="ortho")
        z = torch.cat([spec.real, spec.imag], dim=1)
        z = F.relu(self.conv(z.to(self.conv.weight.dtype))).float()
        real, imag = z.chunk(2, dim=1)
        return torch.fft.irfft2(torch.complex(real, imag), s=(h, w), norm="ortho").to(dtype)


class GlobalBlock(nn.Module):
    """Half the channels through a dilated gated conv, half through a Fourier unit."""

    def __init__(self, width: int, dilation: int) -> None:
        super().__init__()
        half = width // 2
        self.local = GatedConv(half, half, dilation=dilation)
        self.spectral = FourierUnit(width - half)
        self.mix = nn.Conv2d(width, width, 1)
        self.local_channels = half  # not `half`: nn.Module.half() converts to float16

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = x[:, : self.local_channels], x[:, self.local_channels :]
        return x + self.mix(torch.cat([self.local(a), self.spectral(b)], dim=1))


class InpaintNet(nn.Module):
    def __init__(self, channels: int = 3, width: int = 32, bottleneck_blocks: int = 6) -> None:
        super().__init__()
        self.channels = channels
        w = width
        self.enc0 = GatedConv(channels + 1, w, kernel=5)
        self.enc1 = GatedConv(w, 2 * w, stride=2)
        self.enc2 = GatedConv(2 * w, 4 * w, stride=2)
        self.enc3 = GatedConv(4 * w, 8 * w, stride=2)
        dilations = [2, 4, 8, 2, 4, 8][:bottleneck_blocks] + [1] * max(0, bottleneck_blocks - 6)
        self.bottleneck = nn.Sequential(*[GlobalBlock(8 * w, d) for d in dilations])
        self.dec2 = GatedConv(8 * w + 4 * w, 4 * w)
        self.dec1 = GatedConv(4 * w + 2 * w, 2 * w)
        self.dec0 = GatedConv(2 * w + w, w)
        self.out = nn.Conv2d(w, channels, 3, padding=1)

    size_multiple = 8

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) in [0, 1]; mask: (B, 1, H, W), 1 inside the hole.

        Returns the full prediction; callers composite it into the hole only.
        """
        known = x * (1 - mask)
        e0 = self.enc0(torch.cat([known, mask], dim=1))
        e1 = self.enc1(e0)
        e2 = self.enc2(e1)
        z = self.bottleneck(self.enc3(e2))

        def up(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
            return F.interpolate(t, size=like.shape[-2:], mode="nearest")

        d2 = self.dec2(torch.cat([up(z, e2), e2], dim=1))
        d1 = self.dec1(torch.cat([up(d2, e1), e1], dim=1))
        d0 = self.dec0(torch.cat([up(d1, e0), e0], dim=1))
        return known + mask * torch.sigmoid(self.out(d0))
