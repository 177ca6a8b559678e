"""``bedplan audit verify``: 0 intact, 1 broken (naming the first broken event), 2 bad input;
it never creates a database."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("sqlalchemy")

from bedplan.cli import cli


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A service database with three events (accounts created by the command line)."""
    d = tmp_path_factory.mktemp("template")
    for name in ("ann", "bob", "cat"):
        r = run("user", "add", name, "--role", "planner", "--password-stdin",
                "--data-dir", str(d), stdin="a good password\n")
        assert r.exit_code == 0, r.output
    return d


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Path:
    """A copy of the template for one test (it may be tampered with)."""
    d = tmp_path / "data"
    d.mkdir(mode=0o700)
    with sqlite3.connect(template / "bedplan.db") as src, \
            sqlite3.connect(d / "bedplan.db") as dst:
        src.backup(dst)
    (d / "bedplan.db").chmod(0o600)
    return d


def test_intact_chain_exits_0_and_prints_the_head(data):
    r = run("audit", "verify", "--data-dir", str(data))
    assert r.exit_code == 0, r.output
    assert r.output.startswith("audit chain intact: 3 events; head 3:")
    head = r.output.split("head ")[1].strip()
    again = run("audit", "verify", "--data-dir", str(data), "--head", head)
    assert again.exit_code == 0
    as_json = json.loads(run("audit", "verify", "--data-dir", str(data), "--json").output)
    assert as_json["intact"] and as_json["events"] == 3 and as_json["broken_id"] is None


def test_a_tampered_row_exits_1_naming_it(data):
    head = run("audit", "verify", "--data-dir", str(data)).output.split("head ")[1].strip()
    with sqlite3.connect(data / "bedplan.db") as conn:  # the file's owner can do this
        conn.execute("DROP TRIGGER audit_log_no_update")
        conn.execute("UPDATE audit_log SET details = '{\"username\": \"eve\"}' WHERE id = 2")
    r = run("audit", "verify", "--data-dir", str(data))
    assert r.exit_code == 1
    assert "audit chain BROKEN: event 2 (user_add" in r.output
    assert "last intact event: 1:" in r.output
    assert run("audit", "verify", "--data-dir", str(data), "--head", head).exit_code == 1
    as_json = json.loads(run("audit", "verify", "--data-dir", str(data), "--json").output)
    assert (as_json["intact"], as_json["broken_id"]) == (False, 2)


@pytest.mark.parametrize("args", [
    ["--head", "3:nothex"],
    ["--head", "abc"],
])
def test_bad_heads_exit_2(data, args):
    r = run("audit", "verify", "--data-dir", str(data), *args)
    assert r.exit_code == 2 and "--head" in r.output


def test_no_database_exits_2_and_creates_none(tmp_path):
    r = run("audit", "verify", "--data-dir", str(tmp_path / "nothing"))
    assert r.exit_code == 2 and "no database" in r.output
    assert not (tmp_path / "nothing").exists()


def test_a_database_without_a_chain_exits_2(tmp_path):
    with sqlite3.connect(tmp_path / "bedplan.db") as conn:
        conn.execute("CREATE TABLE audit_log (id INTEGER PRIMARY KEY)")
    r = run("audit", "verify", "--data-dir", str(tmp_path))
    assert r.exit_code == 2 and "no audit chain" in r.output
