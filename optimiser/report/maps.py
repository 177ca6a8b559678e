"""Maps for reports: a static PNG and an interactive map, both working offline.

The static map draws sites by occupancy and the moves between them over England's coastline
and regions; the interactive one is a folium (Leaflet) document with Leaflet inlined (no CDN)
and the same boundary as a GeoJSON layer instead of map tiles (tiles would need the
internet). The boundary, ``data/uk-regions.geojson``, is Natural Earth 1:10m admin-1
(public domain) dissolved into England's nine regions and the other nations (see
``data/README.md``); Leaflet 1.9.4 is vendored in ``data/leaflet/`` (BSD-2-Clause), shared
with the service.
"""

from __future__ import annotations

import base64
import functools
import html
import json
import logging
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Protocol

import numpy as np

from models.domain import Instance
from optimiser.report.charts import (
    AFTER_COLOUR,
    OCCUPANCY_COLOURS,
    occupancy_colour,
    png_bytes,
    pyplot,
)

log = logging.getLogger(__name__)


class Move(Protocol):
    """What the interactive map needs of a move (``optimiser.report.html.Outcome`` has it;
    a protocol, so that this module does not import the report that imports it)."""

    @property
    def patient_id(self) -> str: ...

    @property
    def before_unit(self) -> str | None: ...

    @property
    def after_unit(self) -> str | None: ...


#: Map colours: sea, England's regions, the other nations, and the lines between them.
SEA, LAND, OTHER_LAND, BORDER, LABEL = "#e8f1f8", "#fbfbf8", "#eceeec", "#a9b4bc", "#8a979f"


def _data(name: str) -> bytes:
    return (resources.files("optimiser.report") / "data" / name).read_bytes()


@functools.cache
def boundaries() -> list[dict[str, Any]]:
    """The shipped boundary features (GeoJSON dicts with ``name``, ``kind`` = region /
    country / context and a label point); [] when the file is missing (a map without
    them still works)."""
    try:
        features: list[dict[str, Any]] = json.loads(_data("uk-regions.geojson"))["features"]
    except (OSError, ValueError, KeyError):
        log.warning("the map boundary (optimiser/report/data/uk-regions.geojson) is missing")
        return []
    return features


def _rings(geometry: Mapping[str, Any]) -> list[list[list[list[float]]]]:
    """Polygons (each a list of rings of [lon, lat]) of a Polygon or MultiPolygon."""
    coords = geometry["coordinates"]
    return [coords] if geometry["type"] == "Polygon" else list(coords)


def draw_boundaries(ax: Any, box: tuple[float, float, float, float], *,
                    labels: bool = True) -> list[Any] | None:
    """Sea, land, coastline and region borders on matplotlib axes (lon, lat), with region
    names whose label point falls inside ``box`` (lat0, lat1, lon0, lon1); returns the
    labels (matplotlib texts, for :func:`declutter`), None when there is no boundary."""
    from matplotlib.patches import PathPatch
    from matplotlib.path import Path as MplPath

    features = boundaries()
    if not features:
        return None
    texts = []
    ax.set_facecolor(SEA)
    lat0, lat1, lon0, lon1 = box
    for f in features:
        kind = f["properties"]["kind"]
        verts: list[list[float]] = []
        codes: list[int] = []
        for polygon in _rings(f["geometry"]):
            for ring in polygon:
                verts += ring
                codes += [int(MplPath.MOVETO), *[int(MplPath.LINETO)] * (len(ring) - 2),
                          int(MplPath.CLOSEPOLY)]
        outline = MplPath(verts, codes)
        ax.add_patch(PathPatch(outline, zorder=0.5, linewidth=0.6,
                               facecolor=LAND if kind == "region" else OTHER_LAND,
                               edgecolor=BORDER))
        la, lo = f["properties"].get("label_lat"), f["properties"].get("label_lon")
        if labels and kind == "region" and la is not None and lat0 < la < lat1 and \
                lon0 < lo < lon1:
            text = ax.text(lo, la, f["properties"]["name"], fontsize=7, color=LABEL,
                           ha="center", va="center", zorder=0.8, style="italic")
            text.region = outline  # declutter keeps the label inside its region
            texts.append(text)
    return texts


def declutter(fig: Any, ax: Any, texts: Sequence[Any],
              points: Sequence[tuple[float, float]], pad_px: float = 6.0) -> None:
    """Move each label off the dots (``points``, lon/lat) and the labels already placed:
    try its spot, then a few nearby ones inside its region; hide it where none is free (a
    label under a dot would be unreadable, one over another is a bug)."""
    if not texts:
        return
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    dots = ax.transData.transform(np.asarray(points, float)) if len(points) else np.zeros(
        (0, 2))
    taken: list[Any] = []
    step = 0.12 * (ax.get_ylim()[1] - ax.get_ylim()[0])  # a tenth of the map's height
    for text in texts:
        x0, y0 = text.get_position()
        for dx, dy in ((0, 0), (0, -0.5), (0, 0.5), (0.6, 0), (-0.6, 0), (0, -1), (0, 1)):
            spot = (x0 + dx * step, y0 + dy * step)
            region = getattr(text, "region", None)
            if region is not None and not region.contains_point(spot):
                continue
            text.set_position(spot)
            box = text.get_window_extent(renderer).expanded(1.0, 1.0).padded(pad_px)
            inside = ((dots[:, 0] > box.x0) & (dots[:, 0] < box.x1) & (dots[:, 1] > box.y0)
                      & (dots[:, 1] < box.y1)) if len(dots) else np.zeros(0, bool)
            if not inside.any() and not any(box.overlaps(t) for t in taken):
                taken.append(box)
                break
        else:
            text.set_visible(False)


def backdrop() -> list[tuple[float, float]]:
    """Postcode district centroids: the shape of the country without map tiles."""
    try:
        from models.postcodes import districts

        t = districts()
        return list(zip(t["lat"].astype(float), t["lon"].astype(float), strict=True))
    except Exception:  # the backdrop is decoration only
        log.debug("no postcode backdrop", exc_info=True)
        return []


def map_png(units: Sequence[tuple[float, float, int, int]],
            moves: Sequence[tuple[float, float, float, float]],
            backdrop: Sequence[tuple[float, float]] = (),
            routes: Sequence[Sequence[tuple[float, float]]] = ()) -> bytes:
    """A static map that needs no internet: sites by occupancy and the moves between them,
    over England's coastline and regions (:func:`draw_boundaries`).

    ``units`` are (lat, lon, occupied, open beds); wards on one site are drawn as one dot
    (coloured by the site's occupancy, labelled with its number of wards). ``moves`` are
    (lat, lon) from → to; moves between the same two sites become one curved arrow whose
    width and label give their number. ``routes`` (optional, e.g. from
    ``optimiser.geography.route.move_polylines``) are the moves' roads, drawn thin under
    the arrows. ``backdrop`` points (postcode district centroids) are drawn faint grey only
    when the boundary file is missing, so the country stays recognisable.
    """
    plt = pyplot()
    sites: dict[tuple[float, float], list[int]] = {}
    for lat, lon, occ, beds in units:
        agg = sites.setdefault((round(lat, 4), round(lon, 4)), [0, 0, 0])
        agg[0] += occ
        agg[1] += beds
        agg[2] += 1
    arrows: dict[tuple[float, float, float, float], int] = {}
    for m in moves:
        key = (round(m[0], 4), round(m[1], 4), round(m[2], 4), round(m[3], 4))
        if key[:2] != key[2:]:  # a move between wards of one site has no arrow to draw
            arrows[key] = arrows.get(key, 0) + 1
    lats = [k[0] for k in sites] + [k[0] for k in arrows] + [k[2] for k in arrows]
    lons = [k[1] for k in sites] + [k[1] for k in arrows] + [k[3] for k in arrows]
    if not lats:
        lats, lons = [52.5], [-1.5]
    mid_lat, mid_lon = (min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2
    half_lat = max((max(lats) - min(lats)) / 2 + 0.3, 1.0)
    half_lon = max((max(lons) - min(lons)) / 2 + 0.45, 1.5)
    lat0, lat1, lon0, lon1 = (mid_lat - half_lat, mid_lat + half_lat, mid_lon - half_lon,
                              mid_lon + half_lon)
    aspect = 1 / np.cos(np.radians(mid_lat))
    width = 7.0
    h = float(np.clip(width * (lat1 - lat0) * aspect / (lon1 - lon0), 3.5, 10))
    fig, ax = plt.subplots(figsize=(width, h))
    labels = draw_boundaries(ax, (lat0, lat1, lon0, lon1))
    drawn = labels is not None
    for line in routes:
        if len(line) > 1:
            pts = np.asarray(line, float)
            ax.plot(pts[:, 1], pts[:, 0], color=AFTER_COLOUR, lw=0.8, alpha=0.45, zorder=1.5,
                    solid_capstyle="round")
    if backdrop and not drawn:
        b = np.asarray(backdrop, float)
        keep = ((b[:, 0] > lat0) & (b[:, 0] < lat1) & (b[:, 1] > lon0) & (b[:, 1] < lon1))
        ax.scatter(b[keep, 1], b[keep, 0], s=3, color="#d3d9de", zorder=1, linewidths=0)
    dense = len(sites) > 25  # England-sized: smaller dots, thinner arrows, no ward counts
    for (la, lo, la2, lo2), count in arrows.items():
        ax.annotate("", xy=(lo2, la2), xytext=(lo, la), zorder=2,
                    arrowprops={"arrowstyle": "-|>", "color": AFTER_COLOUR,
                                "alpha": 0.55 if dense else 0.75,
                                "lw": (0.8 if dense else 1.2) * (1 + np.log2(count)),
                                "shrinkA": 4, "shrinkB": 4,
                                "connectionstyle": "arc3,rad=0.18"})
        if count > 1:  # label the middle of the arc (arc3: midpoint + rad/2 * normal)
            ax.text((lo + lo2) / 2 + 0.09 * (la2 - la) * aspect,
                    (la + la2) / 2 - 0.09 * (lo2 - lo) / aspect, str(count),
                    color=AFTER_COLOUR,
                    fontsize=8, ha="center", va="center", zorder=4,
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"})
    if sites:
        keys = list(sites)
        ax.scatter([k[1] for k in keys], [k[0] for k in keys],
                   c=[occupancy_colour(sites[k][0], sites[k][1]) for k in keys],
                   s=[(10 + 1.2 * min(sites[k][1], 80)) if dense
                      else (30 + 4 * min(sites[k][1], 60)) for k in keys],
                   edgecolors="white", linewidths=0.6, zorder=3)
        for k in keys:
            if sites[k][2] > 1 and not dense:
                ax.annotate(f"{sites[k][2]} wards", (k[1], k[0]), xytext=(6, 4),
                            textcoords="offset points", fontsize=7, color="#4c6272",
                            zorder=4)
    handles = [plt.Line2D([], [], marker="o", linestyle="", color=c, label=t, markersize=7)
               for c, t in OCCUPANCY_COLOURS]
    if arrows:
        handles.append(plt.Line2D([], [], color=AFTER_COLOUR, label="moves (old → new unit)"))
    if any(len(line) > 1 for line in routes):
        handles.append(plt.Line2D([], [], color=AFTER_COLOUR, alpha=0.45, lw=0.8,
                                  label="their roads"))
    ax.legend(handles=handles, frameon=True, loc="upper left", fontsize=8)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(aspect)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom") if not drawn else ():
        ax.spines[side].set_visible(False)
    ax.set_title("Sites by occupancy after the plan (dot size: open beds), and moves")
    fig.tight_layout()
    declutter(fig, ax, labels or [], [(k[1], k[0]) for k in sites])
    return png_bytes(fig)


def folium_map_html(instance: Instance, occ: Mapping[str, int],
                    moves: Sequence[Move]) -> str | None:
    """The interactive map as a standalone HTML document that works offline (None when
    folium is missing): Leaflet inlined, England's regions as a GeoJSON layer (no tiles),
    the units by occupancy, and each move along its road route when distances are by road
    (a straight line otherwise, or where no road joins the two units)."""
    try:
        import folium
    except ImportError:
        return None
    if not instance.units:
        return None
    lat = float(np.mean([u.lat for u in instance.units]))
    lon = float(np.mean([u.lon for u in instance.units]))
    fmap = folium.Map(location=[lat, lon], zoom_start=6, tiles=None, control_scale=True,
                      prefer_canvas=True)
    fmap.default_js, fmap.default_css = [], []  # no CDN: Leaflet is inlined below
    lats, lons = [u.lat for u in instance.units], [u.lon for u in instance.units]
    fmap.fit_bounds([[min(lats) - 0.2, min(lons) - 0.3], [max(lats) + 0.2, max(lons) + 0.3]])
    features = boundaries()
    if features:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, name="England's regions",
            style_function=lambda f: {
                "fillColor": LAND if f["properties"]["kind"] == "region" else OTHER_LAND,
                "color": BORDER, "weight": 1, "fillOpacity": 1},
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False)).add_to(fmap)
    pos = {u.unit_id: (u.lat, u.lon) for u in instance.units}
    pairs = [(r.before_unit, r.after_unit) for r in moves
             if r.before_unit in pos and r.after_unit in pos]
    lines = _move_lines(instance, pairs)
    for (a, b), r, line in zip(pairs, [r for r in moves if r.before_unit in pos
                                        and r.after_unit in pos], lines, strict=True):
        folium.PolyLine(line or [pos[a], pos[b]], color=AFTER_COLOUR, weight=2, opacity=0.8,
                        tooltip=html.escape(f"{r.patient_id}: {a} → {b}")).add_to(fmap)
    for u in instance.units:
        colour = occupancy_colour(occ[u.unit_id], u.open_beds)
        label = f"{u.unit_id} {u.name}".strip()
        folium.CircleMarker(
            [u.lat, u.lon], radius=6, color="white", weight=1, fill=True, fill_color=colour,
            fill_opacity=0.95,
            tooltip=html.escape(f"{label}: {occ[u.unit_id]} of {u.open_beds} open beds "
                                f"({u.network_id})")).add_to(fmap)
    root: Any = fmap.get_root()  # a Figure (folium types it as Element)
    root.header.add_child(folium.Element(_inline_leaflet()), name="leaflet_inline", index=0)
    root.header.add_child(folium.Element(f"<style>.leaflet-container{{background:{SEA}}}"
                                         "</style>"), name="sea")
    rendered: str = root.render()
    return rendered


def _move_lines(instance: Instance, pairs: Sequence[tuple[str | None, str | None]]
                ) -> list[list[tuple[float, float]]]:
    """Road polylines of the moves when distances are by road, else none (straight lines)."""
    if instance.policy.distance != "road" or not pairs:
        return [[] for _ in pairs]
    from optimiser.geography.route import move_polylines

    try:
        return move_polylines(instance, [(str(a), str(b)) for a, b in pairs])
    except Exception:  # a drawing aid only: the map falls back to straight lines
        log.warning("move routes could not be drawn", exc_info=True)
        return [[] for _ in pairs]


@functools.cache
def _inline_leaflet() -> str:
    """Leaflet's CSS and JS as inline elements (vendored once, unchanged, in ``data/leaflet``
    — the service serves the same files; the CSS's images become data URIs here, so the
    page needs no request at all)."""
    css = _data("leaflet/leaflet.css").decode("utf-8")
    for name in ("layers.png", "layers-2x.png", "marker-icon.png"):
        uri = "data:image/png;base64," + base64.b64encode(
            _data(f"leaflet/images/{name}")).decode("ascii")
        css = css.replace(f"url(images/{name})", f"url({uri})")
    js = _data("leaflet/leaflet.js").decode("utf-8")
    js = "\n".join(line for line in js.splitlines()
                   if not line.startswith("//# sourceMappingURL"))
    return f"<style>{css}</style>\n<script>{js}</script>"
