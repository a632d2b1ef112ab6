"""Serving the app with waitress, in one process or several sharing one listening socket.

Python runs one thread at a time per process (the GIL), and a search is CPU work: waitress's
threads overlap waiting for clients, not searching. Under 16 concurrent clients one process keeps
one core busy and leaves the other idle; a second process searches on it (bench/load.py,
docs/reliability.md). Each process builds its own app, so each opens its own index and follows
new commits on its own; the kernel hands every new connection to one process waiting in accept().
"""
from __future__ import annotations

import os
import signal
import socket
import traceback
from collections.abc import Callable

from flask import Flask
from waitress import serve as waitress_serve


def listen(host: str, port: int) -> socket.socket:
    """The listening socket for ``host:port``: bound before anything says the server is up, so a
    busy port (``OSError`` EADDRINUSE) is known while the caller can still say so."""
    return socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET,
                                backlog=1024, reuse_port=False)


def serve(create: Callable[[], Flask], listener: socket.socket, threads: int, processes: int = 1) -> None:
    """Serve ``create()`` on ``listener`` until SIGTERM or Ctrl-C; with ``processes`` > 1 in that
    many forked processes sharing it."""
    if processes <= 1:
        waitress_serve(create(), sockets=[listener], threads=threads, ident="newsearch")
        return
    children = []
    for _ in range(processes):
        pid = os.fork()
        if pid == 0:  # a child serves until it is stopped and never returns into the caller's code
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            try:
                waitress_serve(create(), sockets=[listener], threads=threads, ident="newsearch")
            except BaseException:
                traceback.print_exc()
                os._exit(1)
            os._exit(0)
        children.append(pid)
    listener.close()

    def stop(signum, frame):
        for child in children:
            try:
                os.kill(child, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for child in children:
        while True:
            try:
                os.waitpid(child, 0)
                break
            except InterruptedError:
                continue
            except ChildProcessError:
                break
