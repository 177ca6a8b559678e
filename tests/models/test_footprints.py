"""Home collaborative by footprint: postcode district → local authority → ICB → collaborative."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from models.footprints import (
    NATIONAL_NETWORKS,
    footprint_networks,
    home_network,
    icb_of,
    nhs_region,
)
from models.generate import england_areas, footprint_home_model

NETWORKS = Path(__file__).resolve().parents[2] / "scripts" / "data" / "england" / "networks.csv"


@pytest.mark.parametrize(("area", "service", "expected"), [
    ("CT16", "camhs", "kss-camhs"),             # Dover: Kent, not the East of England
    ("CT16 1AA", "camhs", "kss-camhs"),         # a full postcode reads as its district
    ("ct16", "eating_disorder", "kss-ed"),      # Kent, Surrey and Sussex eating disorders
    ("W12", "camhs", "nwl-camhs"),              # West London CAMHS
    ("LS9", "adult_secure", "wy-secure"),
    ("M13", "adult_secure", "gm-secure"),       # Greater Manchester ...
    ("PR1", "adult_secure", "lsc-secure"),      # ... and Lancashire are separate
    ("L1", "camhs", "cm-camhs"),                # Level Up (Cheshire and Merseyside)
    ("SN1", "camhs", "tv-camhs"),               # Swindon: Thames Valley CAMHS (source)
    ("SN1", "adult_secure", "sw-secure"),       # ... but South West adult secure
    ("BH1", "adult_secure", "tvw-secure"),      # Dorset: Thames Valley and Wessex
    ("S80", "adult_secure", "sy-secure"),       # Bassetlaw: South Yorkshire ICB
    ("E06000001", "eating_disorder", "nenc-ed"),  # an LA code
])
def test_home_network_follows_the_footprint(area: str, service: str, expected: str) -> None:
    assert home_network(area, service) == expected


def test_split_authorities_follow_their_district() -> None:
    assert icb_of("BD23") == "NHS West Yorkshire ICB"            # Craven, North Yorkshire
    assert icb_of("YO8") == "NHS Humber and North Yorkshire ICB"
    assert icb_of("NR33") == "NHS Norfolk and Waveney ICB"       # Waveney, East Suffolk
    assert icb_of("IP12") == "NHS Suffolk and North East Essex ICB"
    assert icb_of("CA11") == "NHS North East and North Cumbria ICB"  # Eden
    assert icb_of("LA9") == "NHS Lancashire and South Cumbria ICB"   # Kendal
    assert nhs_region("CT16") == "South East"


def test_national_levels_and_unknown_areas() -> None:
    assert home_network("CT16", "adult_secure", "high") == "high-secure-national"
    assert home_network("CT16", "camhs", "medium") == "nhse-camhs-medium-secure"
    assert home_network("CT16", "camhs", "general") == "kss-camhs"
    assert home_network("CF10", "camhs") is None                 # Cardiff: not England
    assert home_network("ZZ99", "camhs") is None
    assert home_network("CT16", "dentistry") is None


def test_every_english_district_has_a_collaborative_for_every_service() -> None:
    model = footprint_home_model()
    assert len(model.areas) == len(england_areas())
    for service, nets in model.regional.items():
        assert all(nets), service
    assert set(model.networks("adult_secure", "high")) == {"high-secure-national"}


def test_footprints_match_the_sourced_counts_and_the_network_table() -> None:
    nets = footprint_networks()
    assert len(nets["adult_secure"]) == 15       # "15 NHS-led provider collaboratives" (2021)
    assert len(nets["eating_disorder"]) == 12    # "12 ... adult eating disorder" collaboratives
    with NETWORKS.open(encoding="utf-8") as fh:
        table = {r["network_id"]: r["service"] for r in csv.DictReader(fh)}
    for service, ids in nets.items():
        assert all(table.get(i) == service for i in ids), service
    regional = {i for ids in nets.values() for i in ids}
    assert set(table) == regional | set(NATIONAL_NETWORKS.values())
