"""Request size and authentication before the body is read (issue 16, finding 2).

In-process, the guard is driven with a ``receive`` that counts how much body was read; over
a real socket, a separate server process gets a 256 MiB body (unauthenticated, then
authenticated and chunked) and its peak memory is measured.
"""

from __future__ import annotations

import asyncio
import json
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

MIB = 2**20


def call(app, method: str, path: str, headers: dict[str, str], body: bytes = b"",
         chunk: int = 64 * 1024, declare_length: bool = True) -> tuple[int, dict, bytes, int]:
    """Drive the ASGI app directly: (status, headers, body, body bytes the app read)."""
    sent = {"read": 0, "status": 0, "headers": {}, "body": b""}
    pieces = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
    raw = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    if declare_length:
        raw.append((b"content-length", str(len(body)).encode()))
    elif body:
        raw.append((b"transfer-encoding", b"chunked"))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": method, "path": path, "raw_path": path.encode(), "query_string": b"",
             "headers": raw, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
             "scheme": "http", "root_path": "", "state": {}}
    queue = list(pieces)

    async def receive():
        if not queue:
            await asyncio.sleep(3600)
        piece = queue.pop(0)
        sent["read"] += len(piece)
        return {"type": "http.request", "body": piece, "more_body": bool(queue)}

    async def send(message):
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
            sent["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            sent["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return sent["status"], sent["headers"], sent["body"], sent["read"]


def token(app, username: str) -> dict[str, str]:
    from sqlalchemy import select

    from bedplan.service.tables import UserRow

    st = app.state.bedplan
    with st.factory() as s:
        uid = s.scalar(select(UserRow.id).where(UserRow.username == username))
    return {"authorization": "Bearer " + st.signer.api_token(uid)}


def big_json(size: int) -> bytes:
    return b'{"patient_id": "' + b"x" * (size - 20) + b'"}'


def test_unauthenticated_body_is_not_read(app):
    status, headers, _body, read = call(app, "POST", "/api/suggestions",
                                       {"content-type": "application/json"}, big_json(8 * MIB))
    assert status == 401 and read == 0
    assert headers["www-authenticate"] == "Bearer"
    assert headers["connection"] == "close"


def test_a_declared_length_over_the_limit_is_413_unread(app):
    status, _h, body, read = call(app, "POST", "/api/suggestions",
                                  {"content-type": "application/json", **token(app, "north")},
                                  big_json(2 * MIB))
    assert (status, read) == (413, 0)
    assert "at most 1 MiB" in json.loads(body)["detail"]


def test_a_chunked_body_is_cut_at_the_limit(app):
    status, _h, body, read = call(app, "POST", "/api/suggestions",
                                  {"content-type": "application/json", **token(app, "north")},
                                  big_json(8 * MIB), declare_length=False)
    assert status == 413 and "too large" in json.loads(body)["detail"]
    assert read <= 1 * MIB + 64 * 1024


def test_a_json_body_under_the_limit_is_served(app):
    status, _h, body, _read = call(app, "POST", "/api/suggestions",
                                   {"content-type": "application/json", **token(app, "north")},
                                   json.dumps({"patient_id": "R1"}).encode(),
                                   declare_length=False)
    assert status == 200, body


def test_imports_are_for_admins_before_the_body_is_read(app):
    headers = {"content-type": "multipart/form-data; boundary=x", **token(app, "plan")}
    status, _h, _b, read = call(app, "POST", "/api/import", headers, b"x" * (4 * MIB))
    assert (status, read) == (403, 0)
    admin = {"content-type": "multipart/form-data; boundary=x", **token(app, "admin")}
    status, _h, _b, read = call(app, "POST", "/api/import", admin, b"x" * (65 * MIB),
                                chunk=MIB)
    assert (status, read) == (413, 0)


def test_an_admins_import_may_be_larger_than_a_json_request(client, as_user, census_dir):
    comment = b"# " + b"x" * (2 * MIB) + b"\n"  # a 2 MiB TOML comment: the same instance
    files = [("files", ("units.csv", (census_dir / "units.csv").read_bytes())),
             ("files", ("patients.csv", (census_dir / "patients.csv").read_bytes())),
             ("files", ("policy.toml", comment + (census_dir / "policy.toml").read_bytes()))]
    r = client.post("/api/import", files=files, headers=as_user("admin"))
    assert r.status_code == 200, r.text


def test_login_form_and_token_bodies_are_small(app):
    status, _h, _b, read = call(app, "POST", "/login",
                                {"content-type": "application/x-www-form-urlencoded"},
                                b"username=a&password=" + b"x" * (64 * 1024))
    assert (status, read) == (413, 0)
    status, _h, _b, read = call(app, "POST", "/api/token",
                                {"content-type": "application/json"}, big_json(64 * 1024))
    assert (status, read) == (413, 0)


# ------------------------------------------------------------------ a real server's memory

SERVER = """
import datetime as dt, sys
from pathlib import Path
import uvicorn
from bedplan.service.app import Settings, create_app
from bedplan.service.db import writing
from bedplan.service.tables import UserRow
app = create_app(Settings(data_dir=Path(sys.argv[1]), instance=Path(sys.argv[2]),
                          secret="test-secret", warm_up=False))
with writing(app.state.bedplan.factory) as s:
    s.add(UserRow(id=1, username="north", password_hash="x", role="bed_manager",
                  networks="north", active=True, created_at=dt.datetime.now(dt.UTC)))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[3]), log_level="warning")
"""


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def send_big(port: int, headers: str, total: int, chunked: bool) -> tuple[int, float]:
    """Stream a ``total``-byte JSON body (``{"patient_id": "xxx...x"}``); stop as soon as
    the server answers. Returns the status and the seconds until the answer."""
    start = time.monotonic()
    head, tail = b'{"patient_id": "', b'"}'
    pieces = [head] + [b"x" * MIB] * ((total - len(head) - len(tail)) // MIB)
    pieces.append(b"x" * (total - len(head) - len(tail) - MIB * (len(pieces) - 1)) + tail)
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {total}"
        s.sendall(f"POST /api/suggestions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  f"Content-Type: application/json\r\n{headers}{framing}\r\n\r\n".encode())
        try:
            for piece in pieces:
                if select.select([s], [], [], 0)[0]:
                    break  # answered already
                s.sendall(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
            else:
                if chunked:
                    s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = s.recv(200).decode("latin-1")
    return int(answer.split()[1]), time.monotonic() - start


def test_a_256_mib_body_does_not_reach_the_servers_memory(tmp_path, census_dir):
    from bedplan.service.auth import Signer
    from bedplan.service.server import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(tmp_path / "data"),
                               str(census_dir), str(port)], cwd=Path(__file__).parents[2])
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "no server"
                time.sleep(0.1)
        bearer = f"Authorization: Bearer {Signer('test-secret').api_token(1)}\r\n"
        assert send_big(port, bearer, 100, chunked=False)[0] == 404  # warm: no such patient
        before = peak_rss_mib(server.pid)
        answers = [send_big(port, "", 256 * MIB, chunked=False),
                   send_big(port, bearer, 256 * MIB, chunked=True),
                   send_big(port, bearer, 256 * MIB, chunked=False)]
        growth = peak_rss_mib(server.pid) - before
        print(f"peak memory growth: {growth:.1f} MiB; answers: {answers}")
        assert growth < 32, f"the server's peak memory grew by {growth:.0f} MiB"
        assert [status for status, _s in answers] == [401, 413, 413]
        assert max(seconds for _s, seconds in answers) < 5
    finally:
        server.terminate()
        server.wait(30)
