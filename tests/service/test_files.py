"""The data folder and the database are the owner's only (issue 16, finding 7): the folder
0700, the SQLite file and its -wal/-shm files 0600, whatever the umask, and a folder or file
left readable by an earlier version is narrowed at start."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_folder_is_private(tmp_path, client, as_user):
    data = tmp_path / "data"  # the app fixture's
    client.post("/api/suggestions", json={"patient_id": "R1"}, headers=as_user("north"))
    assert mode(data) == 0o700
    files = {p.name: mode(p) for p in data.iterdir() if p.is_file()}
    assert {"bedplan.db", "bedplan.db-wal", "bedplan.db-shm"} <= set(files)
    assert files == dict.fromkeys(files, 0o600)


def test_an_open_umask_does_not_open_the_files(tmp_path, census_dir):
    from bedplan.service.app import Settings, create_app

    old = os.umask(0)
    try:
        create_app(Settings(data_dir=tmp_path / "d", instance=census_dir, warm_up=False))
    finally:
        os.umask(old)
    assert mode(tmp_path / "d") == 0o700
    for f in (tmp_path / "d").iterdir():
        assert mode(f) == 0o600, f.name


def test_a_readable_folder_and_database_are_narrowed_at_start(tmp_path, census_dir, caplog):
    from bedplan.service.app import Settings, create_app

    settings = Settings(data_dir=tmp_path / "d", instance=census_dir, secret="s",
                        warm_up=False)
    create_app(settings)
    os.chmod(tmp_path / "d", 0o755)
    for f in (tmp_path / "d").glob("bedplan.db*"):
        os.chmod(f, 0o644)
    create_app(settings)
    assert mode(tmp_path / "d") == 0o700
    assert {mode(f) for f in (tmp_path / "d").glob("bedplan.db*")} == {0o600}
    assert "was readable by others (mode 644): now 600" in caplog.text
