"""A TCP proxy a test or benchmark controls: put it between the gateway and PostgreSQL, then

* ``cut()`` the database away (every connection dropped, new ones closed at once), or
* ``blackhole()`` it: nothing is forwarded any more, but every connection stays open and new ones are accepted
  (what a network partition, a failover or a stuck primary looks like from the gateway: no error, no answer);

and ``restore()`` it.  Data that arrives while black-holed is held, not lost, and forwarded on ``restore()``
(as TCP would retransmit it once a partition heals)."""

from __future__ import annotations

import socket
import threading


class TcpProxy:
    """Forwards ``127.0.0.1:<port>`` to ``target``."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self._up = threading.Event()  # new connections are accepted (else closed at once)
        self._up.set()
        self._flowing = threading.Event()  # data is forwarded (else held: a black hole)
        self._flowing.set()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._closed = False
        threading.Thread(target=self._accept, name="tcpproxy-accept", daemon=True).start()

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def cut(self) -> None:
        """Drop every connection; connections made from now on are closed at once."""
        self._up.clear()
        with self._lock:
            sockets = list(self._sockets)
        for s in sockets:
            self._drop(s)

    def blackhole(self) -> None:
        """Stop forwarding in both directions; connections stay open, new ones are accepted."""
        self._flowing.clear()

    def restore(self) -> None:
        """Accept and forward again (after :meth:`cut` or :meth:`blackhole`)."""
        self._up.set()
        self._flowing.set()

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        self.cut()
        self._flowing.set()  # let held pipes find their sockets closed and end

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self._up.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(src, dst), name="tcpproxy-pipe", daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                self._flowing.wait()
                data = src.recv(65536)
                if not data:
                    break
                self._flowing.wait()  # read just before a black hole began: held until restore()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            self._drop(src)
            self._drop(dst)

    def _drop(self, s: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(s)
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()
