"""Build src/detainerwatch/data/shapes/us_shapes.bin.gz: the county and state shapes of the
maps, simplified once, from the Census shapefiles the plotly-geo package ships (offline).

Usage: .venv/bin/python scripts/build_shapes.py   (deterministic output)
"""

from __future__ import annotations

from detainerwatch.publish import maps


def main() -> None:
    counts = maps.build()
    size = maps.SHAPES_FILE.stat().st_size
    print(
        f"{maps.SHAPES_FILE}: {counts['counties']} counties, "
        f"{counts['states']} states, {size:,} bytes"
    )


if __name__ == "__main__":
    main()
