"""``bedplan user``: accounts of the service (bed managers, planners, admins)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bedplan.cli.serve import data_dir_option, db_option, need_service_extra

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

NO_TERMINAL = ("no terminal to ask for the password: pipe it in with --password-stdin, e.g.\n"
               "  printf '%s\\n' \"$PASSWORD\" | bedplan user add NAME --role ROLE "
               "--password-stdin")


def _factory(db_url: str | None, data_dir: Path) -> sessionmaker[Session]:
    from bedplan.service.db import SchemaError, make_engine, private_dir, session_factory, upgrade
    from bedplan.service.state import Settings

    if db_url is None:
        private_dir(data_dir)
    engine = make_engine(Settings(data_dir=data_dir, db_url=db_url).url)
    try:
        upgrade(engine)
    except SchemaError as exc:
        raise click.UsageError(str(exc)) from exc
    return session_factory(engine)


def _known_networks(s: Session) -> set[str]:
    from sqlalchemy import select

    from bedplan.service.tables import NetworkRow, UnitRow

    return set(s.scalars(select(NetworkRow.network_id))) | set(
        s.scalars(select(UnitRow.network_id)))


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():  # getpass would warn and read the password in clear
        raise click.UsageError(NO_TERMINAL)
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.group()
def user() -> None:
    """Create and list accounts of the service."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["bed_manager", "planner", "admin"]), required=True)
@click.option("--network", "networks", multiple=True, metavar="ID",
              help="A collaborative (network_id) a bed manager works for; repeat for more.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input (scripts, no "
                   "terminal).")
@db_option
@data_dir_option
def add(username: str, role: str, networks: tuple[str, ...], password_stdin: bool,
        db_url: str | None, data_dir: Path) -> None:
    """Create an account; the password is asked for at the terminal (twice), or read from
    standard input with --password-stdin.

    \b
    Network ids are checked against the census; an account created before the census is
    imported cannot be checked, so it is warned about now and at the import (and
    `bedplan user list` marks unknown ids).
    """
    need_service_extra()
    from bedplan.service import audit
    from bedplan.service.auth import add_user
    from bedplan.service.db import writing

    password = _password(password_stdin)
    factory = _factory(db_url, data_dir)
    with writing(factory) as s:
        known = _known_networks(s)
        unknown = sorted(set(networks) - known)
        if unknown and known:
            raise click.BadParameter(f"unknown network(s): {', '.join(unknown)} (known: "
                                     f"{', '.join(sorted(known))})", param_hint="--network")
        try:
            row = add_user(s, username, password, role, networks)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        audit.append(s, None, "user_add", actor="command line", details={
            "username": row.username, "role": role, "networks": sorted(set(networks))})
    click.echo(f"created {role} {username}")
    if unknown:
        click.echo(f"warning: the census is empty, so network(s) {', '.join(unknown)} could "
                   "not be checked; the service warns at the import if they are still unknown "
                   "then, and `bedplan user list` marks them", err=True)


@user.command("list")
@db_option
@data_dir_option
def list_users(db_url: str | None, data_dir: Path) -> None:
    """List accounts (username, role, collaboratives; unknown ones marked)."""
    need_service_extra()
    from sqlalchemy import select

    from bedplan.service.tables import UserRow

    with _factory(db_url, data_dir)() as s:
        known = _known_networks(s)
        for row in s.scalars(select(UserRow).order_by(UserRow.username)):
            nets = [n if n in known else f"{n} (unknown)" for n in row.networks.split(";") if n]
            click.echo(f"{row.username}\t{row.role}\t{','.join(nets)}")
