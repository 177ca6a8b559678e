"""``bedplan user``: accounts of the service (bed managers, planners, admins)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bedplan.cli.serve import data_dir_option, db_option, need_service_extra


def _factory(db_url: str | None, data_dir: Path):  # type: ignore[no-untyped-def]
    from bedplan.service.state import Settings
    from bedplan.service.db import make_engine, session_factory, upgrade

    engine = make_engine(Settings(data_dir=data_dir, db_url=db_url).url)
    upgrade(engine)
    return session_factory(engine)


@click.group()
def user() -> None:
    """Create and list accounts of the service."""


@user.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(["bed_manager", "planner", "admin"]), required=True)
@click.option("--network", "networks", multiple=True, metavar="ID",
              help="A collaborative (network_id) a bed manager works for; repeat for more.")
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input.")
@db_option
@data_dir_option
def add(username: str, role: str, networks: tuple[str, ...], password_stdin: bool,
        db_url: str | None, data_dir: Path) -> None:
    """Create an account; the password is asked for (or read with --password-stdin)."""
    need_service_extra()
    from sqlalchemy import select

    from bedplan.service import audit
    from bedplan.service.auth import add_user
    from bedplan.service.db import writing
    from bedplan.service.tables import NetworkRow, UnitRow

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    factory = _factory(db_url, data_dir)
    with writing(factory) as s:
        known = set(s.scalars(select(NetworkRow.network_id))) | set(
            s.scalars(select(UnitRow.network_id)))
        unknown = sorted(set(networks) - known) if known else []
        if unknown:
            raise click.BadParameter(f"unknown network(s): {', '.join(unknown)} (known: "
                                     f"{', '.join(sorted(known))})", param_hint="--network")
        try:
            row = add_user(s, username, password, role, networks)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        audit.append(s, None, "user_add", actor="command line", details={
            "username": row.username, "role": role, "networks": sorted(set(networks))})
    click.echo(f"created {role} {username}")


@user.command("list")
@db_option
@data_dir_option
def list_users(db_url: str | None, data_dir: Path) -> None:
    """List accounts (username, role, collaboratives)."""
    need_service_extra()
    from sqlalchemy import select

    from bedplan.service.tables import UserRow

    with _factory(db_url, data_dir)() as s:
        for row in s.scalars(select(UserRow).order_by(UserRow.username)):
            click.echo(f"{row.username}\t{row.role}\t{row.networks.replace(';', ',')}")
