"""Start the real Dagster UI (`dagster dev -w workspace.yaml`) in a subprocess, and stop it again.

`dagster dev` runs the webserver and the daemon: the instance's default run coordinator queues the
runs the UI launches, and only the daemon dequeues them. The instance is a temporary DAGSTER_HOME
holding a copy of the repo's shipped `dagster_home/dagster.yaml`, so the UI runs under the same
instance configuration as `make dev`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 120


@dataclass(frozen=True)
class Webserver:
    """A running `dagster dev`: its base URL, instance folder and log file."""

    url: str
    dagster_home: Path
    log: Path
    process: subprocess.Popen

    def log_tail(self, n_chars: int = 4000) -> str:
        """The end of the server's combined output, for failure messages."""
        return self.log.read_text(errors="replace")[-n_chars:]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/server_info", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _default_sigint() -> None:
    """In the child: let Ctrl-C work even if our parent ignores SIGINT (background jobs, some CI)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _stop(process: subprocess.Popen) -> None:
    """Ctrl-C the whole process group (what a terminal does), then SIGKILL whatever is left."""
    for sig, wait_s in ((signal.SIGINT, 20), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
    # Children (code server, daemon, webserver, run workers) share the group: make sure none outlives us.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def instance_home(workdir: Path) -> Path:
    """``workdir/dagster_home`` holding the repo's ``dagster_home/dagster.yaml`` (created if needed)."""
    home = workdir / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    return home


def project_env(env: Mapping[str, str], home: Path) -> dict[str, str]:
    """This process's environment without inherited ``RFM_*`` variables, plus ``env`` and DAGSTER_HOME."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("RFM_")}
    full_env.update({**env, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"})
    return full_env


@contextmanager
def dagster_dev(workdir: Path, env: Mapping[str, str]) -> Iterator[Webserver]:
    """Run `dagster dev -w workspace.yaml` from the repo root with ``env`` added to a clean RFM_* env.

    Inherited ``RFM_*`` variables are dropped so only ``env`` configures the project; DAGSTER_HOME
    is ``instance_home(workdir)``: a fresh folder, unless the caller already recorded runs there
    (e.g. with `rfm-assets run` under the same ``project_env``) for the UI to show.
    """
    home = instance_home(workdir)
    full_env = project_env(env, home)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / "dagster_dev.log"
    dagster = Path(sys.executable).parent / "dagster"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(dagster), "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
            cwd=REPO,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_default_sigint,
        )
    server = Webserver(url=url, dagster_home=home, log=log, process=process)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _answers(url):
            if process.poll() is not None:
                raise RuntimeError(f"dagster dev exited with {process.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"dagster dev did not answer within {START_TIMEOUT_S} s:\n{server.log_tail()}")
            time.sleep(0.5)
        yield server
    finally:
        _stop(process)
