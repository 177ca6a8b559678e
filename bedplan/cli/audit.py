"""``bedplan audit``: check the service's audit log (needs the ``service`` extra)."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from bedplan.cli._common import EXIT_INPUT, EXIT_OK, emit
from bedplan.cli.serve import data_dir_option, db_option

#: ``bedplan audit verify`` exits 1 when the chain is broken (0 intact, 2 bad input).
EXIT_BROKEN = 1
_HEAD = re.compile(r"^(\d{1,18}):([0-9a-f]{64})$")


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    emit(EXIT_INPUT)


def _parse_heads(values: tuple[str, ...]) -> list[tuple[int, str]]:
    heads = []
    for value in values:
        m = _HEAD.match(value.strip().lower())
        if m is None:
            _fail(f"--head {value!r}: expected ID:HASH (an event id and its 64-hex sha256, as "
                  "`bedplan audit verify` or the server log printed them)")
        else:
            heads.append((int(m.group(1)), m.group(2)))
    return heads


@click.group()
def audit() -> None:
    """The service's audit log: every suggestion, decision and census change."""


@audit.command("verify")
@db_option
@data_dir_option
@click.option("--head", "heads", multiple=True, metavar="ID:HASH",
              help="A head recorded earlier (printed by this command, logged by the server "
                   "at every start) that the chain must still pass through; repeatable.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def verify(db_url: str | None, data_dir: Path, heads: tuple[str, ...], as_json: bool) -> None:
    """Check the audit log's hash chain; name the first event where it breaks.

    \b
    Each event's hash covers its content and the hash of the event before, so a change,
    insertion or deletion anywhere breaks the chain from there on. Someone able to rewrite
    the whole table could recompute every hash: keep the printed head somewhere else and
    pass it back with --head. Reads only; never creates or upgrades a database.

    \b
    Exit codes: 0 intact, 1 broken (the first broken event is named), 2 bad input (no
    database there, a schema older than the chain, a malformed --head).
    """
    wanted = _parse_heads(heads)
    try:
        import sqlalchemy  # noqa: F401
    except ModuleNotFoundError:
        _fail("the audit command needs the service extra: pip install 'bedplan[service]'")
    from sqlalchemy import inspect
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from bedplan.service.chain import verify as verify_chain
    from bedplan.service.db import make_engine, normalise_url, reading, session_factory
    from bedplan.service.state import Settings

    url = normalise_url(Settings(data_dir=data_dir, db_url=db_url).url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not (
            parsed.database and Path(parsed.database).is_file()):
        _fail(f"no database at {parsed.database} (give --data-dir or --db)")
    try:
        engine = make_engine(url)
        columns = {c["name"] for c in inspect(engine).get_columns("audit_log")} \
            if inspect(engine).has_table("audit_log") else set()
        if "hash" not in columns:
            _fail("this database has no audit chain (not a bedplan database, or its schema "
                  "predates the chain: start `bedplan serve` once to upgrade it)")
        with reading(session_factory(engine)) as s:
            verdict = verify_chain(s, wanted)
        engine.dispose()
    except SQLAlchemyError as exc:
        _fail(f"cannot read the database: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return
    if as_json:
        click.echo(json.dumps({"intact": verdict.intact, "events": verdict.events,
                               "head": {"id": verdict.head_id, "hash": verdict.head_hash},
                               "broken_id": verdict.broken_id, "problem": verdict.problem}))
    elif verdict.intact:
        click.echo(f"audit chain intact: {verdict.events} events; head {verdict.head_id}:"
                   f"{verdict.head_hash}")
    else:
        click.echo(f"audit chain BROKEN: {verdict.problem}", err=True)
        if verdict.head_id is not None:
            click.echo(f"last intact event: {verdict.head_id}:{verdict.head_hash}", err=True)
    sys.stdout.flush()
    emit(EXIT_OK if verdict.intact else EXIT_BROKEN)
