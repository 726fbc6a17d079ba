"""Realistic camera and film noise, synthesised on clean sRGB tensors in [0, 1].

Real sensor noise is not white: it is signal dependent on linear sensor values (photon shot
noise plus read noise), sampled through a Bayer mosaic and spread by demosaicing over
neighbouring pixels and the other channels, shaped by white balance, the colour matrix and the
tone curve, smoothed in chroma by the camera's noise reduction, then quantised by JPEG. A
denoiser trained on additive white Gaussian noise removes little of it, and a white-noise level
estimator reads it as almost clean.

The clean image is "unprocessed" into linear sensor space (Brooks et al., "Unprocessing Images
for Learned Raw Denoising", CVPR 2019): inverse tone curve, inverse gamma, inverse colour matrix,
inverse white balance. Noise is drawn per Bayer site with the variance of a Poisson-Gaussian
sensor, demosaiced (bilinear: a linear operator, so the noise can be demosaiced apart from the
signal and the clean target keeps its detail), and the noisy linear image is processed forward
again. Scanned film gets grain instead: blurred, intensity-dependent noise, monochrome or per
dye layer. Every stage is randomised from a numpy Generator and a torch Generator, so a seed
gives the same batch on every run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from restorer.physics.blur import gaussian_blur
from restorer.physics.jpeg import jpeg_compress

# Colour matrices (camera RGB -> linear sRGB) are random convex mixtures of these, each row
# normalised to sum to 1 so that white stays white; they are the XYZ -> camera matrices of
# four cameras as used by Brooks et al., composed with sRGB -> XYZ and inverted.
_XYZ_TO_CAMS = np.array(
    [
        [[1.0234, -0.2969, -0.2266], [-0.5625, 1.6328, -0.0469], [-0.0703, 0.2188, 0.6406]],
        [[0.4913, -0.0541, -0.0202], [-0.613, 1.3513, 0.2906], [-0.1564, 0.2151, 0.7183]],
        [[0.838, -0.263, -0.0639], [-0.2887, 1.0725, 0.2496], [-0.0627, 0.1427, 0.5438]],
        [[0.6596, -0.2079, -0.0562], [-0.4782, 1.3016, 0.1933], [-0.097, 0.1581, 0.5181]],
    ]
)
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_YCBCR = torch.tensor(
    [[0.299, 0.587, 0.114], [-0.168736, -0.331264, 0.5], [0.5, -0.418688, -0.081312]]
)


@dataclass(frozen=True)
class CameraNoiseRanges:
    """The ranges each stage's parameters are drawn from (the model cards record these)."""

    # Shot-noise gain on linear values in [0, 1] (variance = shot * x + read**2), log-uniform.
    # 1e-4 is a bright, low-ISO scene; 2e-2 a dark one at ISO 6400 and above.
    shot: tuple[float, float] = (1e-4, 2e-2)
    # log(read variance) = 2.18 log(shot) + 1.2 + N(0, 0.26): the relation Brooks et al.
    # fitted to the Darmstadt noise data set's cameras.
    read_slope: float = 2.18
    read_offset: float = 1.2
    read_spread: float = 0.26
    red_gain: tuple[float, float] = (1.9, 2.4)
    blue_gain: tuple[float, float] = (1.5, 1.9)
    # In-camera chroma noise reduction: Gaussian blur of Cb and Cr, sigma in pixels. Camera
    # JPEGs show little fine chroma noise (the Canon pairs: weak colour blotches of about 16
    # pixels, the luminance grain much stronger), so it is strong and frequent.
    chroma_blur_probability: float = 0.8
    chroma_blur: tuple[float, float] = (1.0, 4.0)
    chroma_keep: tuple[float, float] = (0.1, 0.7)  # share of the chroma noise it leaves
    # Luminance noise reduction (and the sharpening that follows it) leaves coarser grain.
    luma_blur: tuple[float, float] = (0.3, 1.0)
    jpeg_probability: float = 0.75
    jpeg_quality: tuple[int, int] = (60, 95)
    jpeg_subsampled: float = 0.7  # of the JPEGs, 4:2:0 as cameras write them
    # Film grain instead of sensor noise, for scanned film: amplitude (0-255 scale at
    # mid-grey) and the grain's blur radius in pixels.
    film_probability: float = 0.15
    film_amplitude: tuple[float, float] = (3.0, 25.0)
    film_grain_size: tuple[float, float] = (0.4, 1.5)


DEFAULT_RANGES = CameraNoiseRanges()


def _smoothstep_inverse(y: torch.Tensor) -> torch.Tensor:
    y = y.clamp(0.0, 1.0)
    return 0.5 - torch.sin(torch.asin((1.0 - 2.0 * y).clamp(-1, 1)) / 3.0)


def _smoothstep(x: torch.Tensor) -> torch.Tensor:
    x = x.clamp(0.0, 1.0)
    return 3.0 * x**2 - 2.0 * x**3


def _gamma_expand(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(min=1e-8) ** 2.2


def _gamma_compress(x: torch.Tensor) -> torch.Tensor:
    return x.clamp(min=1e-8) ** (1.0 / 2.2)


def _random_cam_to_rgb(rng: np.random.Generator) -> np.ndarray:
    weights = rng.uniform(1e-8, 1e8, len(_XYZ_TO_CAMS))
    xyz_to_cam = np.tensordot(weights / weights.sum(), _XYZ_TO_CAMS, axes=1)
    rgb_to_cam = xyz_to_cam @ _RGB_TO_XYZ
    rgb_to_cam /= rgb_to_cam.sum(axis=1, keepdims=True)
    return np.linalg.inv(rgb_to_cam)


def _apply_matrix(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """x: (B, 3, H, W); m: (B, 3, 3) applied to every pixel's colour."""
    return torch.einsum("bij,bjhw->bihw", m, x)


def bayer_mask(height: int, width: int, device: torch.device) -> torch.Tensor:
    """(1, 3, H, W) 0/1 planes of an RGGB mosaic: which colour each photosite records."""
    mask = torch.zeros(1, 3, height, width, device=device)
    mask[:, 0, 0::2, 0::2] = 1
    mask[:, 1, 0::2, 1::2] = 1
    mask[:, 1, 1::2, 0::2] = 1
    mask[:, 2, 1::2, 1::2] = 1
    return mask


def demosaic_bilinear(planes: torch.Tensor) -> torch.Tensor:
    """Bilinear demosaicing of (B, 3, H, W) planes that are zero off their Bayer sites."""
    green = torch.tensor([[0, 0.25, 0], [0.25, 1, 0.25], [0, 0.25, 0]], device=planes.device)
    red_blue = torch.tensor(
        [[0.25, 0.5, 0.25], [0.5, 1, 0.5], [0.25, 0.5, 0.25]], device=planes.device
    )
    kernels = torch.stack([red_blue, green, red_blue])[:, None].to(planes.dtype)
    return F.conv2d(F.pad(planes, (1, 1, 1, 1), mode="reflect"), kernels, groups=3)


def _rgb_to_ycbcr(x: torch.Tensor) -> torch.Tensor:
    return _apply_matrix(x, _YCBCR.to(x)[None].expand(x.shape[0], -1, -1))


def _ycbcr_to_rgb(x: torch.Tensor) -> torch.Tensor:
    inverse = torch.linalg.inv(_YCBCR.double()).to(x)
    return _apply_matrix(x, inverse[None].expand(x.shape[0], -1, -1))


def _per_sample(values: np.ndarray, x: torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(values, dtype=x.dtype, device=x.device).view(-1, 1, 1, 1)


def film_grain(
    clean: torch.Tensor,
    amplitude: np.ndarray,
    grain_size: np.ndarray,
    monochrome: np.ndarray,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Grain of scanned film: white noise blurred to the grain size, strongest in the mid-tones
    (a dye cloud is densest there), shared by the channels for black-and-white film."""
    b, c, _h, _w = clean.shape
    noise = torch.randn(clean.shape, generator=generator, device=clean.device, dtype=clean.dtype)
    shared = noise[:, :1].expand(-1, c, -1, -1)
    noise = torch.where(_per_sample(monochrome, clean) > 0, shared, noise)
    blurred = torch.cat(
        [gaussian_blur(noise[i : i + 1], float(grain_size[i])) for i in range(b)], dim=0
    )
    # Blurring white noise of unit variance over sigma s leaves about 1 / (2 sqrt(pi) s):
    # renormalise so that `amplitude` is the grain's standard deviation at mid-grey.
    norm = blurred.flatten(1).std(dim=1).clamp(min=1e-6).view(-1, 1, 1, 1)
    envelope = 0.4 + 2.4 * clean.clamp(0, 1) * (1 - clean.clamp(0, 1))
    return clean + blurred / norm * envelope * _per_sample(amplitude / 255.0, clean)


def realistic_noise(
    clean: torch.Tensor,
    rng: np.random.Generator,
    generator: torch.Generator | None = None,
    ranges: CameraNoiseRanges = DEFAULT_RANGES,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(noisy, target) for a batch of clean sRGB images (B, 3, H, W) in [0, 1], H and W even.

    The target is the clean image taken through the same camera without noise (identical to
    `clean` but for values the tone curve's round trip clips); with JPEG, H and W must be
    multiples of 16. Each sample draws its own camera: gains, colour matrix, noise levels, chroma
    noise reduction, JPEG quality, or film grain instead of a sensor.
    """
    b, c, h, w = clean.shape
    if c != 3 or h % 2 or w % 2:
        raise ValueError("realistic_noise needs RGB images with even sides")
    clean = clean.float()
    dev = clean.device
    log_shot = rng.uniform(math.log(ranges.shot[0]), math.log(ranges.shot[1]), b)
    log_read_var = (
        ranges.read_slope * log_shot + ranges.read_offset + rng.normal(0, ranges.read_spread, b)
    )
    shot, read_var = np.exp(log_shot), np.exp(log_read_var)
    red = rng.uniform(*ranges.red_gain, b)
    blue = rng.uniform(*ranges.blue_gain, b)
    cam_to_rgb = torch.as_tensor(
        np.stack([_random_cam_to_rgb(rng) for _ in range(b)]), dtype=torch.float32, device=dev
    )
    chroma_sigma = np.where(
        rng.random(b) < ranges.chroma_blur_probability, rng.uniform(*ranges.chroma_blur, b), 0.0
    )
    chroma_keep = rng.uniform(*ranges.chroma_keep, b)
    luma_sigma = np.where(rng.random(b) < 0.5, rng.uniform(*ranges.luma_blur, b), 0.0)
    quality = np.where(
        rng.random(b) < ranges.jpeg_probability,
        rng.integers(ranges.jpeg_quality[0], ranges.jpeg_quality[1] + 1, b),
        0,
    )
    subsampled = rng.random(b) < ranges.jpeg_subsampled
    film = rng.random(b) < ranges.film_probability
    film_amplitude = rng.uniform(*ranges.film_amplitude, b)
    grain_size = rng.uniform(*ranges.film_grain_size, b)
    monochrome = (rng.random(b) < 0.5).astype(np.float32)

    # Unprocess: sRGB -> linear -> camera RGB -> before white balance.
    gains = torch.as_tensor(
        np.stack([red, np.ones(b), blue], axis=1), dtype=torch.float32, device=dev
    ).view(b, 3, 1, 1)
    linear = _gamma_expand(_smoothstep_inverse(clean))
    camera = _apply_matrix(linear, torch.linalg.inv(cam_to_rgb)) / gains

    # Sensor: Poisson-Gaussian noise at each Bayer site, demosaiced.
    mosaic = bayer_mask(h, w, dev)
    variance = _per_sample(shot, camera) * camera.clamp(min=0) + _per_sample(read_var, camera)
    site_noise = torch.randn(camera.shape, generator=generator, device=dev) * variance.sqrt()
    noisy_camera = camera + demosaic_bilinear(site_noise * mosaic)

    def process(x: torch.Tensor) -> torch.Tensor:
        rgb = _apply_matrix((x * gains).clamp(0, 1), cam_to_rgb).clamp(0, 1)
        return _smoothstep(_gamma_compress(rgb))

    target = process(camera)
    noisy = process(noisy_camera)
    if film.any():
        grainy = film_grain(target, film_amplitude, grain_size, monochrome, generator)
        noisy = torch.where(_per_sample(film.astype(np.float32), noisy) > 0, grainy, noisy)

    if (chroma_sigma > 0).any():
        # Chroma noise reduction: the colour noise is scaled down and blurred, the luminance
        # grain kept.
        ycc, clean_ycc = _rgb_to_ycbcr(noisy), _rgb_to_ycbcr(target)
        smoothed = []
        for i, sigma in enumerate(chroma_sigma):
            if sigma > 0 and not film[i]:
                chroma_noise = (ycc[i : i + 1, 1:] - clean_ycc[i : i + 1, 1:]) * chroma_keep[i]
                chroma = clean_ycc[i : i + 1, 1:] + gaussian_blur(chroma_noise, float(sigma))
                luma_noise = ycc[i : i + 1, :1] - clean_ycc[i : i + 1, :1]
                if luma_sigma[i] > 0:
                    # Renormalised: the grain gets coarser, not weaker.
                    blurred = gaussian_blur(luma_noise, float(luma_sigma[i]))
                    luma_noise = blurred * luma_noise.std() / blurred.std().clamp(min=1e-8)
                luma = clean_ycc[i : i + 1, :1] + luma_noise
                smoothed.append(torch.cat([luma, chroma], dim=1))
            else:
                smoothed.append(ycc[i : i + 1])
        noisy = _ycbcr_to_rgb(torch.cat(smoothed, dim=0))
    for subsample in (False, True):
        coded = (quality > 0) & (subsampled == subsample)
        if not coded.any():
            continue
        multiple = 16 if subsample else 8
        if h % multiple or w % multiple:
            raise ValueError(f"JPEG needs sides that are multiples of {multiple}")
        compressed = jpeg_compress(
            noisy.clamp(0, 1), torch.as_tensor(np.maximum(quality, 1)), subsample_chroma=subsample
        )
        noisy = torch.where(_per_sample(coded.astype(np.float32), noisy) > 0, compressed, noisy)
    return noisy.clamp(0, 1), target


def noise_level_map(noisy: torch.Tensor, target: torch.Tensor, radius: float = 4.0) -> torch.Tensor:
    """The local standard deviation of the noise, per pixel and channel: the square root of
    the Gaussian-weighted mean of (noisy - target)^2. What the noise-map estimator learns and
    what the denoiser is conditioned on; for white noise of level sigma it is about sigma
    everywhere."""
    return gaussian_blur((noisy - target).float() ** 2, radius).clamp(min=0).sqrt()
