#!/usr/bin/env python3
"""delay_proxy.py LISTEN_PORT TARGET_HOST TARGET_PORT DELAY_MS

A TCP proxy on 127.0.0.1 that holds every chunk DELAY_MS/2 in each direction, so a
request/response round trip through it (a PostgreSQL query) takes about DELAY_MS longer:
a database that answers slowly, for benchmarks (bench/run_once_bench.sh DB_DELAY_MS=5).
Prints "listening PORT" once it accepts connections.
"""
import asyncio
import sys


async def pump(reader, writer, delay_s):
    try:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                break
            await asyncio.sleep(delay_s)
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def main():
    listen_port, host, port, delay_ms = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    delay_s = delay_ms / 2000.0

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pump(client_reader, server_writer, delay_s), pump(server_reader, client_writer, delay_s))

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
