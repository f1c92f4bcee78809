"""`serve`'s listening socket: its connections answer without Nagle's delay (issue 16)."""

from __future__ import annotations

import asyncio
import socket

from detainerwatch.cli.serve import listen


def test_connections_of_serves_socket_send_at_once() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose proto says TCP: with proto 0, every answer
    after a connection's first waited 40 ms for the client's delayed ACK."""
    sock = listen("127.0.0.1", 0)
    port = sock.getsockname()[1]
    found: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            conn = transport.get_extra_info("socket")
            found.append(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=sock)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(100):
                if found:
                    break
                await asyncio.sleep(0.01)
            writer.close()

    asyncio.run(main())
    assert sock.proto == socket.IPPROTO_TCP
    assert found and found[0] != 0
