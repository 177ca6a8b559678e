"""``bedplan user``: set-up without a terminal, unknown collaboratives whatever the order,
and the README's serve lines as written (issue 16, finding 9)."""

from __future__ import annotations

import logging
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("fastapi")

from bedplan.cli import cli

ROOT = Path(__file__).resolve().parents[2]
TWO_WARDS = ROOT / "instances" / "examples" / "two-wards"  # networks north and south
BEDPLAN = Path(sys.executable).with_name("bedplan")


def run(*args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, list(args), input=stdin)


def test_without_a_terminal_it_says_to_use_password_stdin(tmp_path):
    r = run("user", "add", "admin", "--role", "admin", "--data-dir", str(tmp_path / "d"))
    assert r.exit_code == 2
    assert "no terminal to ask for the password" in r.output
    assert "--password-stdin" in r.output and "Aborted" not in r.output
    assert not (tmp_path / "d").exists()  # nothing created


@pytest.mark.slow
def test_a_real_process_without_a_terminal_says_to_use_password_stdin(tmp_path):
    """Run as a real process with no terminal (the issue's `GetPassWarning ... Aborted!`)."""
    done = subprocess.run([str(BEDPLAN), "user", "add", "admin", "--role", "admin",
                           "--data-dir", str(tmp_path / "d")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert "no terminal to ask for the password" in done.stderr
    assert "--password-stdin" in done.stderr and "GetPassWarning" not in done.stderr
    assert not (tmp_path / "d").exists()  # nothing created


@pytest.mark.slow
def test_with_a_terminal_it_asks_twice(tmp_path):
    """The README's interactive line, typed at a (pseudo-)terminal."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, attached to the terminal
        os.execv(str(BEDPLAN), [str(BEDPLAN), "user", "add", "admin", "--role", "admin",
                                "--data-dir", str(tmp_path / "d")])
    out = b""
    deadline = time.monotonic() + 120
    for answer in (b"a good password\n", b"a good password\n", None):
        while time.monotonic() < deadline:
            ready = select.select([fd], [], [], 1)[0]
            try:
                chunk = os.read(fd, 1024) if ready else b""
            except OSError:  # the child closed the terminal
                chunk = b""
                break
            out += chunk
            if answer and out.rstrip().endswith(b":"):
                os.write(fd, answer)
                out += b"|"
                break
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    assert out.count(b"Password") + out.count(b"Repeat") == 2 and b"created admin admin" in out
    assert b"a good password" not in out  # not echoed


@pytest.mark.slow
def test_password_stdin_works_without_a_terminal(tmp_path):
    done = subprocess.run([str(BEDPLAN), "user", "add", "admin", "--role", "admin",
                           "--password-stdin", "--data-dir", str(tmp_path / "d")],
                          input="a good password\n", capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "created admin admin" in done.stdout


def test_an_unknown_network_before_the_import_is_warned_about_everywhere(tmp_path, caplog):
    data = tmp_path / "d"
    r = run("user", "add", "leeds", "--role", "bed_manager", "--network", "nope",
            "--network", "north", "--password-stdin", "--data-dir", str(data),
            stdin="a good password\n")
    assert r.exit_code == 0, r.output
    assert "warning: the census is empty, so network(s) nope, north could not be checked" \
        in r.output
    from bedplan.service.app import Settings, create_app

    logging.getLogger().addHandler(caplog.handler)  # the command's basicConfig removed it
    caplog.set_level(logging.WARNING)
    create_app(Settings(data_dir=data, instance=TWO_WARDS, secret="s", warm_up=False))
    assert "account 'leeds' works for unknown collaborative(s) nope" in caplog.text
    listed = run("user", "list", "--data-dir", str(data))
    assert "leeds\tbed_manager\tnope (unknown),north" in listed.output
    after = run("user", "add", "york", "--role", "bed_manager", "--network", "nope",
                "--password-stdin", "--data-dir", str(data), stdin="a good password\n")
    assert after.exit_code == 2 and "unknown network(s): nope" in after.output


def test_the_data_folder_and_database_are_private(tmp_path):
    data = tmp_path / "d"
    run("user", "add", "ann", "--role", "planner", "--password-stdin", "--data-dir",
        str(data), stdin="a good password\n")
    assert (data.stat().st_mode & 0o777, (data / "bedplan.db").stat().st_mode & 0o777) == \
        (0o700, 0o600)


def _wait_for(url: str, seconds: float) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer")


@pytest.mark.slow
def test_the_readme_serve_lines_work_as_written(tmp_path):
    """The lines given to the lead for the README, run from a copy of the checkout's
    instances (the service writes bedplan-data/ in the current directory)."""
    import httpx

    from bedplan.service.server import free_port

    work = tmp_path / "checkout"
    shutil.copytree(ROOT / "instances" / "england", work / "instances" / "england")
    (work / ".venv" / "bin").mkdir(parents=True)
    (work / ".venv" / "bin" / "bedplan").symlink_to(BEDPLAN)
    port = free_port()
    add = subprocess.run(
        "printf '%s\\n' \"$ADMIN_PASSWORD\" | .venv/bin/bedplan user add admin --role admin "
        "--password-stdin", shell=True, cwd=work, capture_output=True, text=True,
        env={**os.environ, "ADMIN_PASSWORD": "a good password"}, timeout=120)
    assert add.returncode == 0, add.stderr
    server = subprocess.Popen([".venv/bin/bedplan", "serve", "--instance",
                               "instances/england", "--port", str(port)], cwd=work,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/api/health", 120)
        token = httpx.post(f"http://127.0.0.1:{port}/api/token",
                           json={"username": "admin", "password": "a good password"})
        assert token.status_code == 200
        census = httpx.get(f"http://127.0.0.1:{port}/api/census?patients=false",
                           headers={"Authorization": f"Bearer {token.json()['access_token']}"})
        assert len(census.json()["units"]) > 300
        assert httpx.get(f"http://127.0.0.1:{port}/login").status_code == 200
    finally:
        server.terminate()
        server.wait(30)
