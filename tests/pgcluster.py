"""A throwaway PostgreSQL cluster for one test session.

Finds the server binaries (``pg_ctl`` on PATH, else ``/usr/lib/postgresql/*/bin``),
installs the ``postgresql`` package when they are missing and the tests run as
root, and otherwise fails with a message saying what to install. ``initdb``
refuses to run as root, so a root test process runs the cluster as the
``postgres`` system user (created as ``piigate-pg`` when there is none).

The cluster lives in a temporary directory, listens on 127.0.0.1 on a free port
and on a unix socket in that directory, trusts every local connection and runs
with ``fsync=off``: it holds nothing worth keeping.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

FALLBACK_USER = "piigate-pg"
SUPERUSER = "postgres"
START_ATTEMPTS = 3
TIMEOUT_SECONDS = 120
_SERVER_SETTINGS = (
    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
    "-c max_connections=300 -c max_parallel_workers_per_gather=0"
)


class PostgresUnavailable(RuntimeError):
    """No cluster could be started; the message says why and what to do."""


def _version(bin_dir: str) -> tuple[int, ...]:
    match = re.search(r"/postgresql/([0-9.]+)/bin", bin_dir)
    return tuple(int(part) for part in match.group(1).split(".")) if match else (0,)


def find_bin_dir() -> Path | None:
    """The directory holding initdb and pg_ctl, newest version first."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(os.path.realpath(on_path)).parent
    found = sorted(
        (os.path.dirname(p) for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")),
        key=_version,
        reverse=True,
    )
    return Path(found[0]) if found else None


def _run(
    command: Sequence[str], what: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> None:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS * 5,
        env=env,
        cwd=cwd,
        check=False,
    )
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip()[-2000:]
        raise PostgresUnavailable(f"{what} failed (exit {result.returncode}): {detail}")


def install_server() -> Path:
    """Install the Debian ``postgresql`` package (root only) and return its bin dir."""
    if os.geteuid() != 0:
        raise PostgresUnavailable(
            "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in "
            "/usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: "
            "`sudo apt-get install -y postgresql`) or run the tests as root."
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"]
    try:
        _run(install, "apt-get install postgresql", env)
    except PostgresUnavailable:
        _run(["apt-get", "update"], "apt-get update", env)
        _run(install, "apt-get install postgresql", env)
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("installed postgresql but found no initdb/pg_ctl")
    return bin_dir


def _service_user() -> pwd.struct_passwd | None:
    """Who runs the server: None for ourselves, a system user when we are root."""
    if os.geteuid() != 0:
        return None
    for name in (SUPERUSER, FALLBACK_USER):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    _run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", FALLBACK_USER],
        f"creating the system user {FALLBACK_USER}",
    )
    return pwd.getpwnam(FALLBACK_USER)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PgCluster:
    bin_dir: Path
    root: Path
    port: int
    user: pwd.struct_passwd | None

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database, over TCP."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres"

    @classmethod
    def start(cls) -> PgCluster:
        bin_dir = find_bin_dir() or install_server()
        user = _service_user()
        root = Path(tempfile.mkdtemp(prefix="piigate-pg-"))
        if user is not None:
            os.chown(root, user.pw_uid, user.pw_gid)
        cluster = cls(bin_dir, root, 0, user)
        try:
            cluster._initdb()
            cluster._start_on_free_port()
        except BaseException:
            shutil.rmtree(root, ignore_errors=True)
            raise
        return cluster

    def stop(self) -> None:
        try:
            self._as_user(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"], "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def execute(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE)."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute(sql.encode())

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _as_user(self, command: list[str], what: str) -> None:
        argv = [str(self.bin_dir / command[0]), *command[1:]]
        if self.user is not None:
            argv = ["runuser", "-u", self.user.pw_name, "--", *argv]
        _run(argv, f"PostgreSQL {what}", cwd=self.root)  # a directory the user may enter

    def _initdb(self) -> None:
        self._as_user(
            [
                *("initdb", "-D", str(self.data), "-A", "trust", "-U", SUPERUSER),
                *("-E", "UTF8", "--locale=C", "--no-sync"),
            ],
            "initdb",
        )

    def _start_on_free_port(self) -> None:
        """Start on a free port; another process may grab it first, so retry."""
        for attempt in range(1, START_ATTEMPTS + 1):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} "
                f"-c unix_socket_directories={self.root} {_SERVER_SETTINGS}"
            )
            log = self.root / f"server-{attempt}.log"
            try:
                self._as_user(
                    [
                        *("pg_ctl", "-D", str(self.data), "-l", str(log), "-o", options),
                        *("-w", "-t", str(TIMEOUT_SECONDS), "start"),
                    ],
                    "start",
                )
                return
            except PostgresUnavailable:
                if attempt == START_ATTEMPTS:
                    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                    raise PostgresUnavailable(f"PostgreSQL did not start: {tail}") from None
