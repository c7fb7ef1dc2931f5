"""Draw the integration's icon (sun over a battery).

Run: .venvs/current/bin/python scripts/brand_icon.py
"""

import math
from pathlib import Path

from PIL import Image, ImageDraw

BRAND = Path(__file__).resolve().parents[1] / "custom_components" / "sigenergy_modbus" / "brand"


def draw(size: int) -> Image.Image:
    """The icon at ``size`` pixels square."""
    s = size / 256
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    # rounded square background: deep teal
    d.rounded_rectangle([8 * s, 8 * s, 248 * s, 248 * s], radius=48 * s, fill=(16, 78, 94, 255))
    # sun: circle with rays, upper left
    cx, cy, r = 92 * s, 92 * s, 30 * s
    for k in range(8):
        a = k * math.pi / 4
        x1, y1 = cx + math.cos(a) * 40 * s, cy + math.sin(a) * 40 * s
        x2, y2 = cx + math.cos(a) * 56 * s, cy + math.sin(a) * 56 * s
        d.line([x1, y1, x2, y2], fill=(255, 196, 61, 255), width=int(10 * s))
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(255, 196, 61, 255))
    # battery: lower right, outline with three charge bars
    bx0, by0, bx1, by1 = 120 * s, 120 * s, 212 * s, 224 * s
    d.rounded_rectangle(
        [bx0, by0, bx1, by1], radius=12 * s, outline=(255, 255, 255, 255), width=int(10 * s)
    )
    d.rounded_rectangle(
        [150 * s, 106 * s, 182 * s, 124 * s], radius=4 * s, fill=(255, 255, 255, 255)
    )
    for i in range(3):
        y0 = by1 - 22 * s - i * 28 * s
        d.rectangle([bx0 + 20 * s, y0 - 14 * s, bx1 - 20 * s, y0], fill=(92, 214, 140, 255))
    return img


draw(256).save(str(BRAND / "icon.png"))
draw(512).save(str(BRAND / "icon@2x.png"))
