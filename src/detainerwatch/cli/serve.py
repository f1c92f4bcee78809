"""`detainerwatch serve`: the local web app and JSON API, read-only on the store."""
from __future__ import annotations

import click

from . import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535),
              help="Port to listen on.")
@click.pass_obj
def serve(obj, host, port):
    """Serve the web app and the JSON API (/api/v1, docs at /api/docs) on the store, read-only."""
    import uvicorn

    from ..web.app import create_app

    app = create_app(obj["db"])
    click.echo(f"detainerwatch on http://{host}:{port}/ (store {obj['db']}, read-only); Ctrl-C stops")
    uvicorn.run(app, host=host, port=port, log_level="warning")
