"""Maps for reports: a static PNG that needs no internet, and the interactive map.

The static map draws sites by occupancy and the moves between them; the interactive one is
a folium (Leaflet) document.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from models.domain import Instance
from optimiser.report.charts import (
    AFTER_COLOUR,
    OCCUPANCY_COLOURS,
    occupancy_colour,
    png_bytes,
    pyplot,
)

if TYPE_CHECKING:
    from optimiser.report.html import Outcome

log = logging.getLogger(__name__)


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
            backdrop: Sequence[tuple[float, float]] = ()) -> bytes:
    """A static map that needs no internet: sites by occupancy and the moves between them.

    ``units`` are (lat, lon, occupied, open beds); wards on one site are drawn as one dot
    (coloured by the site's occupancy, labelled with its number of wards). ``moves`` are
    (lat, lon) from → to; moves between the same two sites become one curved arrow whose
    width and label give their number. ``backdrop`` points (postcode district centroids)
    are drawn faint grey so the country is recognisable without map tiles.
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
    if backdrop:
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
    ax.legend(handles=handles, frameon=True, loc="upper left", fontsize=8)
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(aspect)
    ax.set_xticks([])
    ax.set_yticks([])
    for side in ("left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_title("Sites by occupancy after the plan (dot size: open beds), and moves")
    fig.tight_layout()
    return png_bytes(fig)


def folium_map_html(instance: Instance, occ: Mapping[str, int],
                    moves: Sequence[Outcome]) -> str | None:
    """The interactive map as a standalone HTML document (None when folium is missing)."""
    try:
        import folium
    except ImportError:
        return None
    if not instance.units:
        return None
    lat = float(np.mean([u.lat for u in instance.units]))
    lon = float(np.mean([u.lon for u in instance.units]))
    fmap = folium.Map(location=[lat, lon], zoom_start=6, tiles="OpenStreetMap",
                      control_scale=True)
    pos = {u.unit_id: (u.lat, u.lon) for u in instance.units}
    for r in moves:
        if r.before_unit in pos and r.after_unit in pos:
            folium.PolyLine([pos[r.before_unit], pos[r.after_unit]], color=AFTER_COLOUR,
                            weight=2, opacity=0.8,
                            tooltip=html.escape(f"{r.patient_id}: {r.before_unit} → "
                                                f"{r.after_unit}")).add_to(fmap)
    for u in instance.units:
        colour = occupancy_colour(occ[u.unit_id], u.open_beds)
        label = f"{u.unit_id} {u.name}".strip()
        folium.CircleMarker(
            [u.lat, u.lon], radius=6, color="white", weight=1, fill=True, fill_color=colour,
            fill_opacity=0.95,
            tooltip=html.escape(f"{label}: {occ[u.unit_id]} of {u.open_beds} open beds "
                                f"({u.network_id})")).add_to(fmap)
    rendered: str = fmap.get_root().render()
    return rendered
