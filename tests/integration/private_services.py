"""A private Redis and a private PostgreSQL cluster that fault tests may kill and restart.

The shared servers on 5432 and 6379 serve other test runs at the same time, so the fault
tests never touch them: they start their own on free loopback ports, in a temporary
directory, and SIGKILL and restart those.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.integration.stack import free_port, wait_for


def _accepts_connections(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _kill_group(proc: subprocess.Popen[bytes] | None) -> None:
    """SIGKILL a server and every process it started, as a power cut would, and reap it."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


class PrivateRedis:
    """``redis-server`` without persistence: a restart comes back empty, every queued message lost."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            pytest.skip("redis-server is not installed; the broker fault tests need it")
        self.root = Path(tempfile.mkdtemp(prefix="lb-redis-"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateRedis:
        log = open(self.root / "redis.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._ready, timeout=30, what=f"redis on port {self.port}")
        return self

    def _ready(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            log = (self.root / "redis.log").read_text(errors="replace")
            raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{log[-2000:]}")
        return _accepts_connections(self.port)

    def kill(self) -> None:
        _kill_group(self.proc)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


class PrivatePostgres:
    """A throw-away cluster (``initdb``) on a free port; trust authentication on loopback only.

    PostgreSQL refuses to run as root, so when the tests run as root the cluster runs as the
    ``postgres`` system user.
    """

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version)
        if not found:
            pytest.skip(
                "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin; the database fault tests need them"
            )
        self.bin = Path(found[-1]).parent
        self.root = Path(tempfile.mkdtemp(prefix="lb-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"
        self.proc: subprocess.Popen[bytes] | None = None
        self._user: dict[str, object] = {}
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")  # KeyError: running as root needs the postgres account
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [str(self.bin / args[0]), *args[1:]], capture_output=True, text=True, timeout=120, **self._user
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")

    def start(self) -> PrivatePostgres:
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth", "trust", "-E", "UTF8", "--no-sync")
        log = open(self.root / "postgres.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=50",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **self._user,
        )
        wait_for(self._ready, timeout=60, what=f"PostgreSQL on port {self.port}\n{self.log()[-2000:]}")
        return self

    def _ready(self) -> bool:
        import psycopg

        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"PostgreSQL exited with {self.proc.returncode}:\n{self.log()[-3000:]}")
        try:
            with psycopg.connect(
                host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", connect_timeout=2
            ):
                return True
        except psycopg.OperationalError:
            return False

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend at once, as the OOM killer or a power cut would.

        Clients see their connections reset; the next start runs crash recovery. (Backends
        leave the postmaster's process group, so they are found by parent pid.)
        """
        if self.proc is None or self.proc.poll() is not None:
            return
        children = _children(self.proc.pid)
        self.proc.kill()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        # A surviving backend would keep the shared memory and block the restart.
        wait_for(lambda: not any(_alive(pid) for pid in children), timeout=30, what="PostgreSQL backends to exit")

    def restart(self) -> None:
        self.kill()
        self.start()

    def log(self) -> str:
        path = self.root / "postgres.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # The command name (field 2) may hold spaces; the parent pid is the 2nd field after it.
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie holds no memory; its new parent (init) reaps it


def _version(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in Path(path).parts[-3].split(".") if part.isdigit())
