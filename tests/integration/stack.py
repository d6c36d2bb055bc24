"""A real site stack for integration and browser tests.

Starts, in subprocesses and with their own environment, what a deployment runs:
``manage.py migrate``, a gunicorn web server on a free loopback port and a Celery
worker. Two flavours: the embedded default (SQLite file + kombu filesystem broker)
and, when ``DATABASE_URL`` / ``CELERY_BROKER_URL`` are set, a fresh PostgreSQL
database on that server and the Redis broker.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests

from tests.conftest import PROJECT_ROOT

PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.25, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


class Stack:
    """One isolated deployment: its own database, broker queue, media and ground truth."""

    def __init__(self, *, flavour: str, database_url: str | None = None, broker_url: str | None = None) -> None:
        """``database_url`` (a PostgreSQL server to create the database on) and ``broker_url`` (Redis)
        replace the services of ``DATABASE_URL`` / ``CELERY_BROKER_URL``, e.g. private ones to kill."""
        self.flavour = flavour
        self._services = {"DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url}
        self.root = Path(tempfile.mkdtemp(prefix=f"lb-{flavour}-"))
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._pg_admin_url: str | None = None
        self._db_name: str | None = None
        self.env = self._environment()
        self.web: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    # -- environment -------------------------------------------------------
    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "CELERY_", "DJANGO_"))}
        env.update(
            SECRET_KEY="integration-test-secret-key-not-for-production",
            DEBUG="false",
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CSRF_TRUSTED_ORIGINS=self.base_url,
            MEDIA_ROOT=str(self.root / "media"),
            GROUND_TRUTH_ROOT=str(self.root / "ground_truth"),
            VAR_DIR=str(self.root),
            PYTHONUNBUFFERED="1",
            # A crashed worker's submission is taken up again within seconds, not minutes.
            SCORING_LEASE_SECONDS="6",
            STALE_SWEEP_SECONDS="1",
        )
        if self.flavour == "services":
            self._pg_admin_url = self._services["DATABASE_URL"] or os.environ["DATABASE_URL"]
            self._db_name = f"lb_it_{uuid.uuid4().hex[:10]}"
            env["DATABASE_URL"] = _with_database(self._pg_admin_url, self._db_name)
            env["CELERY_BROKER_URL"] = self._services["CELERY_BROKER_URL"] or os.environ["CELERY_BROKER_URL"]
        else:
            env["DATABASE_URL"] = f"sqlite:///{self.root / 'db.sqlite3'}"
            env["CELERY_BROKER_URL"] = "filesystem://"
            env["CELERY_BROKER_FOLDER"] = str(self.root / "broker")
        # A queue of our own, so that parallel stacks never take each other's tasks.
        env["CELERY_TASK_DEFAULT_QUEUE"] = f"scoring-{uuid.uuid4().hex[:8]}"
        return env

    # -- lifecycle ---------------------------------------------------------
    def start(self, *, beat: bool = False) -> Stack:
        self._create_database()
        self.env["STATIC_ROOT"] = _template("static", lambda: _collected_static(self))
        self.start_web()
        self.start_worker(beat=beat)
        return self

    def _create_database(self) -> None:
        """A migrated database: a copy of this process's template, or migrated here on a private server."""
        if self._db_name is None:
            template = _template("embedded", lambda: _sqlite_template(self))
            with (
                closing(sqlite3.connect(template)) as source,
                closing(sqlite3.connect(self.root / "db.sqlite3")) as copy,
            ):
                source.backup(copy)
        elif self._services["DATABASE_URL"] is None:
            template = _template(f"services {self._pg_admin_url}", lambda: _postgres_template(self))
            _run_sql(self._pg_admin_url, f'CREATE DATABASE "{self._db_name}" TEMPLATE "{template}"')
        else:
            _run_sql(self._pg_admin_url, f'CREATE DATABASE "{self._db_name}"')
            self.manage("migrate", "--noinput")

    def manage(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=PROJECT_ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def _spawn(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        log = open(self.root / log_name, "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            args, cwd=PROJECT_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_web(self) -> None:
        self.web = self._spawn(
            [PYTHON, "-m", "gunicorn", "leaderboard.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2"],
            "web.log",
        )
        wait_for(self._web_up, timeout=60, what=f"the web server on port {self.port}\n{self.log('web.log')}")

    def _web_up(self) -> bool:
        try:
            return requests.get(self.base_url + "/", timeout=2).status_code < 500
        except requests.RequestException:
            return False

    def start_worker(self, *, beat: bool = False) -> None:
        """Start a worker; with ``beat`` it also runs the periodic stale-submission sweep."""
        queue = self.env["CELERY_TASK_DEFAULT_QUEUE"]
        args = [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "leaderboard",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            "1",
            "--queues",
            queue,
            "--hostname",
            f"it-{uuid.uuid4().hex[:6]}@%h",
        ]
        if beat:
            args += ["--beat", "--schedule", str(self.root / f"beat-{uuid.uuid4().hex[:6]}")]
        readies = self.log("worker.log").count("ready.")
        self.worker = self._spawn(args, "worker.log")
        wait_for(
            lambda: self.log("worker.log").count("ready.") > readies,
            timeout=60,
            what=f"the Celery worker to be ready\n{self.log('worker.log')[-3000:]}",
        )

    def kill_worker(self) -> None:
        """SIGKILL the worker and its children: no chance to clean up or requeue."""
        if self.worker and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)

    def log(self, name: str) -> str:
        path = self.root / name
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self, *, drop_database: bool = True) -> None:
        # The stack is thrown away: the worker's warm shutdown (seconds on the file-system broker)
        # has nothing left to save, so it is killed; the web server stops on SIGTERM at once.
        self.kill_worker()
        if self.web and self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGTERM)
            try:
                self.web.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.web.pid, signal.SIGKILL)
        if self._db_name and drop_database:
            _run_sql(self._pg_admin_url, f'DROP DATABASE IF EXISTS "{self._db_name}" WITH (FORCE)')
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, path: str) -> str:
        return self.base_url + path


@contextmanager
def deployed(
    flavour: str = "embedded",
    *,
    demo: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    beat: bool = False,
    database_url: str | None = None,
    broker_url: str | None = None,
) -> Iterator[Stack]:
    """A started stack (migrated database, web server, worker), with ``load_demo *demo`` run when given.

    The web server's and the worker's logs are printed when the block fails; the stack is stopped at
    the end. The one way tests start a live site.
    """
    stack = Stack(flavour=flavour, database_url=database_url, broker_url=broker_url)
    stack.env.update(env or {})
    try:
        stack.start(beat=beat)
        if demo is not None:
            stack.manage("load_demo", *demo)
        yield stack
    except BaseException:
        print(stack.log("web.log")[-6000:], stack.log("worker.log")[-12000:], sep="\n")
        raise
    finally:
        # A private server the test killed goes with its whole cluster: no database to drop there.
        stack.stop(drop_database=database_url is None)


# What every stack of this process starts from (migrated databases, the static files: no test
# changes them), made by the first stack that needs it.
_templates: dict[str, str] = {}
_made_here = Path(tempfile.mkdtemp(prefix="lb-stack-templates-"))
atexit.register(shutil.rmtree, _made_here, ignore_errors=True)


def _template(key: str, make: Callable[[], str]) -> str:
    if key not in _templates:
        _templates[key] = make()
    return _templates[key]


def _sqlite_template(stack: Stack) -> str:
    path = _made_here / "template.sqlite3"
    stack.manage("migrate", "--noinput", env={"DATABASE_URL": f"sqlite:///{path}"})
    return str(path)


def _postgres_template(stack: Stack) -> str:
    admin_url = stack._pg_admin_url
    assert admin_url is not None
    name = f"lb_it_template_{uuid.uuid4().hex[:10]}"
    _run_sql(admin_url, f'CREATE DATABASE "{name}"')
    atexit.register(_run_sql, admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    stack.manage("migrate", "--noinput", env={"DATABASE_URL": _with_database(admin_url, name)})
    return name


def _collected_static(stack: Stack) -> str:
    folder = _made_here / "static"
    stack.manage("collectstatic", "--noinput", env={"STATIC_ROOT": str(folder)})
    return str(folder)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _run_sql(url: str | None, sql: str) -> None:
    import psycopg

    assert url is not None
    parts = urlsplit(url)
    conninfo = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)
