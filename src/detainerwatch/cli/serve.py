"""`detainerwatch serve`: the local web app and JSON API, read-only on the store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from . import cli

if TYPE_CHECKING:
    import socket


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
def serve(obj: dict[str, Any], host: str, port: int) -> None:
    """Serve the web app and the JSON API (/api/v1, docs at /api/docs) on the store, read-only."""
    import uvicorn

    from ..web.app import create_app

    app = create_app(obj["db"], warm=True)
    sock = listen(host, port)
    click.echo(
        f"detainerwatch on http://{host}:{port}/ (store {obj['db']}, read-only); Ctrl-C stops"
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound before the success line and handed to uvicorn: a port in use
    is one line and exit 2, never a success line followed by uvicorn's error."""
    import socket

    from ..errors import UsageError

    sock = None
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP named: asyncio turns Nagle's algorithm off (TCP_NODELAY) only on
        # connections whose socket says TCP; with proto 0 each answer's body waited for the
        # client's delayed ACK of its headers, 40 ms on every request of a kept-alive
        # connection after its first (issue 16: the web bench's floor).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
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
    return sock
