"""Every page asset comes from the service itself, under a strict Content-Security-Policy,
and names are escaped (issue 16, finding 8). The browser side: test_browser.py."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import pytest

from .conftest import EVIL_NAME as EVIL

STATIC = Path(__file__).parents[2] / "bedplan" / "service" / "static"
#: Leaflet is vendored once, beside the report's map, and served by the service from there.
LEAFLET = Path(__file__).parents[2] / "optimiser" / "report" / "data" / "leaflet"
PAGES = ["/", "/census", "/census/YORK", "/planner", "/audit", "/login"]


@pytest.fixture
def admin_page(evil_app):
    from fastapi.testclient import TestClient

    from .test_auth import login

    with TestClient(evil_app, raise_server_exceptions=False) as client:
        assert login(client, "admin").status_code == 303
        yield client


def policy(response) -> dict[str, str]:
    text = response.headers["content-security-policy"]
    return {d.split()[0]: " ".join(d.split()[1:]) for d in text.split(";") if d.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_runs_under_a_strict_policy(admin_page, path):
    r = admin_page.get(path)
    assert r.status_code == 200
    csp = policy(r)
    assert csp["default-src"] == "'none'" and csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'" and csp["frame-ancestors"] == "'none'"
    assert csp["img-src"] == "'self' data: https://tile.openstreetmap.org"
    assert "unsafe" not in r.headers["content-security-policy"]
    html = r.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "an inline script"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+=", html), "an inline event handler"
    assert " style=" not in html
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith("/") and not url.startswith("//"), url


def test_json_answers_carry_the_headers_too(client):
    r = client.get("/api/census")
    assert r.status_code == 401 and "default-src 'none'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"


def test_the_docs_page_allows_only_its_own_inline_script(client):
    r = client.get("/docs")
    assert r.status_code == 200
    inline = re.findall(r"<script>(.*?)</script>", r.text, flags=re.S)
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    assert policy(r)["script-src"] == f"'self' 'sha256-{digest}'"
    assert "cdn" not in r.text and "https://" not in r.text


def test_no_map_tiles_means_no_tile_server_in_the_policy(tmp_path, census_dir):
    from fastapi.testclient import TestClient

    from bedplan.service.app import Settings, create_app

    app = create_app(Settings(data_dir=tmp_path / "d", instance=census_dir, secret="s",
                              warm_up=False, map_tiles=None))
    with TestClient(app) as client:
        r = client.get("/login")
    assert policy(r)["img-src"] == "'self' data:"
    assert 'data-tiles=""' in r.text


def test_leaflet_is_vendored_unchanged(client):
    readme = (LEAFLET / "README.md").read_text()
    for name in ("leaflet.js", "leaflet.css"):
        served = client.get(f"/static/leaflet/{name}")
        assert served.status_code == 200
        assert hashlib.sha256(served.content).hexdigest() in readme
    licence = client.get("/static/leaflet/LICENSE")
    assert licence.status_code == 200 and "BSD 2-Clause" in licence.text
    suggest = (STATIC.parent / "templates" / "suggest.html").read_text()
    assert '<script src="/static/leaflet/leaflet.js"' in suggest


def test_unit_names_are_escaped_in_the_pages(admin_page):
    for path in ("/census", "/census/YORK"):
        html = admin_page.get(path).text
        assert "&lt;img src=x onerror=window.__xss=1&gt;" in html
        assert EVIL not in html


def test_the_map_tooltips_get_text_never_html():
    script = (STATIC / "app.js").read_text()
    calls = re.findall(r"\.bindTooltip\((.*?)\)\.addTo", script)
    assert len(calls) == 3 and all(c.startswith("tip(") for c in calls)
    assert "innerHTML" not in script.replace("never innerHTML", "")
