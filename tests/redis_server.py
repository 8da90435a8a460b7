"""A throwaway redis-server on a unix socket in a temp folder, for tests and benchmarks.

    with RedisServer.start(tmp_path) as server:
        url = server.url  # unix:///.../r.sock

No TCP port (``--port 0``), no persistence (``--save '' --appendonly no``). ``start`` polls PING
until PONG (a restarted server answers LOADING while it replays data); ``stop`` terminates the
process by its pid and waits for it to exit. ``available()`` says whether the binary is there;
``require_redis()`` turns its absence into a failure when the ``CI`` variable is set and a skip
with the reason otherwise, so CI can never skip the Redis tests silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import pytest

BINARY = "redis-server"
INSTALL_HINT = "apt-get install -y redis-server"


def available() -> str | None:
    """The path of redis-server, or None."""
    return shutil.which(BINARY)


def require_redis() -> str:
    """The binary's path; without it, fail under CI and skip (with the reason) elsewhere."""
    path = available()
    if path is None:
        reason = f"{BINARY} is not installed ({INSTALL_HINT}); the Redis backend is untested"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}", pytrace=False)
        pytest.skip(reason)
    return path


def _ping(sock_path: Path, timeout: float) -> bytes:
    """One RESP PING over the unix socket; the raw first line of the answer."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(str(sock_path))
        s.sendall(b"PING\r\n")
        return s.recv(256).split(b"\r\n", 1)[0]


class RedisServer:
    """One redis-server process; use ``RedisServer.start(folder)`` (a context manager too)."""

    def __init__(self, proc: subprocess.Popen[bytes], folder: Path, *, owned: bool) -> None:
        self.proc = proc
        self.folder = folder
        self._owned = owned
        self.socket = folder / "r.sock"

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    @classmethod
    def start(
        cls, folder: Path | None = None, *, binary: str | None = None, timeout: float = 10.0
    ) -> RedisServer:
        """Start and wait for PONG. Without ``folder``, a short one under /tmp is made and
        removed on stop (a unix socket path must stay under ~100 bytes; pytest's can be longer).
        """
        owned = folder is None
        folder = Path(tempfile.mkdtemp(prefix="crossdock-redis-")) if folder is None else folder
        folder.mkdir(parents=True, exist_ok=True)
        command = [binary or available() or BINARY, "--port", "0"]
        command += ["--unixsocket", str(folder / "r.sock"), "--unixsocketperm", "700"]
        command += ["--dir", str(folder), "--save", "", "--appendonly", "no"]
        with (folder / "redis.log").open("wb") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        server = cls(proc, folder, owned=owned)
        try:
            server.wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def wait_ready(self, timeout: float) -> None:
        """Poll PING until PONG; raise with the server's log if it exits or takes too long."""
        deadline = time.monotonic() + timeout
        last = b""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            with contextlib.suppress(OSError):
                last = _ping(self.socket, 0.5)
                if last == b"+PONG":
                    return
            time.sleep(0.01)
        log_path = self.folder / "redis.log"
        log = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""

        msg = f"redis-server did not answer PONG (last answer {last!r}):\n{log}"
        raise RuntimeError(msg)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM by pid, wait for the exit (SIGKILL if it does not come)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._owned:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
