"""A private Postgres cluster for the lake tests: initdb in a temporary folder, a free port on 127.0.0.1,
run as an unprivileged user, stopped (and its folder removed) at the end.

Debian's ``postgresql`` package provides the binaries (``.ci/run`` installs it). Without them the tests
skip on a workstation but fail under ``CI=true``, where they must run. Postgres refuses to run as
root: as root the cluster runs as the ``postgres`` system user the package creates (else ``nobody``),
in a folder of its own under the system temp dir (pytest's tmp_path is private to root).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

SUPERUSER = "rfm"  # the cluster's own superuser role (trust authentication, loopback only)


def bin_dir() -> Path | None:
    """The folder of Debian's postgres binaries (newest major version), or of initdb on the PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def require_bin_dir() -> Path:
    """The binaries' folder; skip without them, except under CI where that fails."""
    found = bin_dir()
    if found is not None:
        return found
    if os.environ.get("CI"):
        pytest.fail("postgres is not installed: CI must install it (.ci/run runs apt-get install postgresql)")
    pytest.skip("postgres is not installed (apt-get install postgresql); under CI=true this fails instead")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _runner() -> tuple[Callable[[], None] | None, int | None]:
    """(preexec_fn, uid) that drop root for the postgres processes; (None, None) when not root."""
    if os.geteuid() != 0:
        return None, None
    for name in ("postgres", "nobody"):
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            continue

        def drop(user: pwd.struct_passwd = user) -> None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)

        return drop, user.pw_uid
    raise RuntimeError("running as root and neither a postgres nor a nobody user exists to run Postgres as")


@dataclass
class Cluster:
    """A running private cluster."""

    bin: Path
    root: Path
    port: int
    preexec: Callable[[], None] | None

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin / tool), *args],
            preexec_fn=self.preexec,
            cwd=self.root,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "LC_ALL": "C"},
        )

    def create_database(self, name: str) -> str:
        """A new empty database; returns its libpq DSN."""
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SUPERUSER, name)
        return self.dsn(name)

    def dagster_home(self, folder: Path, dbname: str) -> Path:
        """A new DAGSTER_HOME at ``folder`` whose instance storage is a new database ``dbname`` here."""
        self.create_database(dbname)
        folder.mkdir(parents=True, exist_ok=True)
        url = f"postgresql+psycopg2://{SUPERUSER}@127.0.0.1:{self.port}/{dbname}"  # psycopg2: SQLAlchemy 2.1
        (folder / "dagster.yaml").write_text(
            f"telemetry:\n  enabled: false\nstorage:\n  postgres:\n    postgres_url: {url}\n"
        )
        return folder

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """initdb + pg_ctl start on a free loopback port; the caller stops it."""
    binaries = require_bin_dir()
    preexec, uid = _runner()
    root = Path(tempfile.mkdtemp(prefix="rfm-pg-"))
    if uid is not None:
        os.chown(root, uid, -1)
    cluster = Cluster(bin=binaries, root=root, port=_free_port(), preexec=preexec)
    try:
        cluster.run("initdb", "-D", str(root / "data"), "-A", "trust", "-U", SUPERUSER, "-E", "UTF8")
        options = f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
        cluster.run("pg_ctl", "-D", str(root / "data"), "-o", options, "-l", str(root / "log"), "-w", "start")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    return cluster
