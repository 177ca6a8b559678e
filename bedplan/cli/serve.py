"""``bedplan serve``: the web service and page (needs the ``service`` extra)."""

from __future__ import annotations

import os
from pathlib import Path

import click

DEFAULT_DATA_DIR = "bedplan-data"


def data_dir_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
                        default=DEFAULT_DATA_DIR, show_default=True,
                        help="Where the SQLite database, the signing key and job outputs "
                             "live.")(f)


def db_option(f: click.decorators.FC) -> click.decorators.FC:
    return click.option("--db", "db_url", default=None, metavar="URL",
                        envvar="BEDPLAN_DB", show_envvar=True,
                        help="Database URL, e.g. postgresql://user@host/bedplan "
                             "(default: sqlite file DATA_DIR/bedplan.db).")(f)


def need_service_extra() -> None:
    """A clear message instead of an ImportError when the extra is not installed."""
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ModuleNotFoundError as exc:
        raise click.ClickException(
            f"the service needs {exc.name}: pip install 'bedplan[service]'") from exc


@click.command()
@click.option("--instance", type=click.Path(exists=True, path_type=Path), default=None,
              help="Instance directory or .xlsx imported into the census at start when the "
                   "census is empty (import later with POST /api/import).")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@data_dir_option
@click.option("--secure-cookies", is_flag=True,
              help="Mark cookies Secure (when served behind HTTPS).")
@click.option("--map-tiles", default=None, metavar="URL",
              help="Tile URL template of the page's map ({z}/{x}/{y}; default: "
                   "OpenStreetMap's); 'none' for a map without a background (then no "
                   "request leaves for a tile server).")
@click.option("--migrate-only", is_flag=True,
              help="Create or upgrade the database schema, then exit (run it as the schema "
                   "owner; with --app-role on PostgreSQL).")
@click.option("--app-role", metavar="ROLE", default=None,
              help="With --migrate-only on PostgreSQL: the role the service connects as, "
                   "granted what it needs and no more (no UPDATE/DELETE on the audit log, "
                   "not the owner).")
def serve(instance: Path | None, db_url: str | None, host: str, port: int, data_dir: Path,
          secure_cookies: bool, map_tiles: str | None, migrate_only: bool,
          app_role: str | None) -> None:
    """Serve the census, suggestions, accepts, scenario jobs and the page.

    \b
    The database schema is created or upgraded at start. Create accounts first with
    `bedplan user add NAME --role bed_manager --network ID` (same --db/--data-dir).
    Page: http://HOST:PORT/   API docs: http://HOST:PORT/docs
    """
    need_service_extra()
    if app_role is not None and not migrate_only:
        raise click.UsageError("--app-role goes with --migrate-only")
    if migrate_only:
        _migrate(db_url, data_dir, app_role)
        return
    import uvicorn

    from bedplan.service.app import create_app
    from bedplan.service.db import SchemaError
    from bedplan.service.state import OSM_TILES, Settings

    tiles = OSM_TILES if map_tiles is None else None if map_tiles.lower() == "none" \
        else map_tiles
    settings = Settings(data_dir=data_dir, db_url=db_url, instance=instance,
                        secret=os.environ.get("BEDPLAN_SECRET_KEY") or None,
                        secure_cookies=secure_cookies, map_tiles=tiles)
    try:
        app = create_app(settings)
    except SchemaError as exc:
        raise click.UsageError(str(exc)) from exc
    click.echo(f"bedplan serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def _migrate(db_url: str | None, data_dir: Path, app_role: str | None) -> None:
    """``--migrate-only``: the schema at head (and the application role's grants)."""
    from bedplan.service.db import make_engine, private_dir, upgrade
    from bedplan.service.pgroles import RoleError, grant_app_role
    from bedplan.service.state import Settings

    settings = Settings(data_dir=data_dir, db_url=db_url)
    if db_url is None:
        private_dir(data_dir)
    engine = make_engine(settings.url)
    try:
        upgrade(engine)
        if app_role is not None:
            grant_app_role(engine, app_role)
    except RoleError as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo("database schema at head" + (f"; role {app_role} granted the service's "
                                            "privileges" if app_role else ""), err=True)
