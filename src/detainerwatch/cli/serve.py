"""`detainerwatch serve`: the local web app and JSON API, read-only on the store."""

from __future__ import annotations

import click

from . import cli


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(1, 65535),
    help="Port to listen on.",
)
@click.pass_obj
def serve(obj, host, port):
    """Serve the web app and the JSON API (/api/v1, docs at /api/docs) on the store, read-only."""
    import socket

    import uvicorn

    from ..errors import UsageError
    from ..web.app import create_app

    app = create_app(obj["db"], warm=True)
    # The port is bound before the success line, and handed to uvicorn: a port in use is one
    # line and exit 2, never a success line followed by uvicorn's error.
    sock = None
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
        sock.set_inheritable(True)
    except OSError as exc:
        if sock is not None:
            sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: "
            f"{'the port is in use' if exc.errno == 98 else exc.strerror or exc}"
            " (give another --port)"
        ) from None
    click.echo(
        f"detainerwatch on http://{host}:{port}/ (store {obj['db']}, read-only); Ctrl-C stops"
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
