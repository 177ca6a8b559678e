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
def serve(instance: Path | None, db_url: str | None, host: str, port: int, data_dir: Path,
          secure_cookies: bool) -> None:
    """Serve the census, suggestions, accepts, scenario jobs and the page.

    \b
    The database schema is created or upgraded at start. Create accounts first with
    `bedplan user add NAME --role bed_manager --network ID` (same --db/--data-dir).
    Page: http://HOST:PORT/   API docs: http://HOST:PORT/docs
    """
    need_service_extra()
    import uvicorn

    from bedplan.service.app import Settings, create_app

    app = create_app(Settings(data_dir=data_dir, db_url=db_url, instance=instance,
                              secret=os.environ.get("BEDPLAN_SECRET_KEY") or None,
                              secure_cookies=secure_cookies))
    click.echo(f"bedplan serving on http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)
