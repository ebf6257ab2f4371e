"""Draw the integration's brand images (an original icon, not RingCentral's trademarked logo).

A white phone handset on a teal disc, circled by an amber ring, with two amber "ringing" arcs.
Drawn at 4x and downsampled so edges are anti-aliased. Writes, per Home Assistant's brands
rules (square icon 256 px, @2x 512 px, transparent background, trimmed):
``custom_components/ringcentral/brand/{icon,icon@2x,logo,logo@2x}.png``.

Run: ``.venv/bin/python scripts/demo/make_brand.py``
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw

BRAND_DIR = Path(__file__).resolve().parents[2] / "custom_components" / "ringcentral" / "brand"
TEAL = (0, 121, 128, 255)
AMBER = (245, 166, 35, 255)
WHITE = (255, 255, 255, 255)
SUPERSAMPLE = 4


def _handset(draw: ImageDraw.ImageDraw, size: int) -> None:
    """Draw a classic handset: a grip curving round the lower left, pads at both ends."""
    cx, cy = size * 0.64, size * 0.36
    radius = size * 0.34
    steps = 240
    # Grip centre line: a quarter circle from "down" (mouth pad) to "left" (ear pad); y grows downwards.
    points = [
        (
            cx + radius * math.cos(math.radians(90 + 90 * i / steps)),
            cy + radius * math.sin(math.radians(90 + 90 * i / steps)),
        )
        for i in range(steps + 1)
    ]
    # A chain of discs rather than a polyline: Pillow's wide polylines show seams at the joints.
    grip = size * 0.05
    for x, y in points:
        draw.ellipse((x - grip, y - grip, x + grip, y + grip), fill=WHITE)
    # Each pad is a short, fat stroke pointing back towards the grip's centre of curvature.
    pad_width = size * 0.15
    for px, py in (points[0], points[-1]):
        qx, qy = px + (cx - px) * 0.30, py + (cy - py) * 0.30
        _round_stroke(draw, (px, py), (qx, qy), pad_width)


def _round_stroke(
    draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], width: float
) -> None:
    """A straight stroke with round caps (Pillow's line has flat ends)."""
    draw.line((a, b), fill=WHITE, width=round(width))
    r = width / 2
    for x, y in (a, b):
        draw.ellipse((x - r, y - r, x + r, y + r), fill=WHITE)


def draw_icon(size: int) -> Image.Image:
    """Return the icon as an RGBA image of ``size`` x ``size`` pixels."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    margin = big * 0.02
    ring = big * 0.07
    draw.ellipse((margin, margin, big - margin, big - margin), fill=AMBER)
    inner = margin + ring
    draw.ellipse((inner, inner, big - inner, big - inner), fill=TEAL)
    _handset(draw, big)
    # Two short arcs by the ear pad: the phone is ringing.
    cx, cy = big * 0.64, big * 0.36
    for r in (big * 0.09, big * 0.18):
        draw.arc((cx - r, cy - r, cx + r, cy + r), start=-80, end=-10, fill=AMBER, width=round(big * 0.045))
    return image.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every brand image."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    for name, size in (("icon", 256), ("icon@2x", 512), ("logo", 256), ("logo@2x", 512)):
        draw_icon(size).save(BRAND_DIR / f"{name}.png", optimize=True)


if __name__ == "__main__":
    main()
