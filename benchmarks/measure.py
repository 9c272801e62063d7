"""Run one measured piece in its own subprocess: its own timing, and a clean peak RSS.

The child (``python -m benchmarks.child PIECE``) times the piece's core call itself and writes a
JSON result; the parent reaps it with ``os.wait4``, whose rusage is that child's alone, so
``ru_maxrss`` is the piece's peak resident memory (interpreter and imports included).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent


class PieceFailed(RuntimeError):
    """A child exited non-zero or wrote no result."""


@dataclass
class Measured:
    """One piece's outcome: seconds timed inside the child, wall time of the child, peak RSS."""

    piece: str
    seconds: float
    wall_seconds: float
    peak_rss_mb: float
    result: dict[str, Any] = field(default_factory=dict)


def run_piece(
    piece: str, args: dict[str, Any], work: Path, *, env: dict[str, str] | None = None, timeout_s: float = 3600.0
) -> Measured:
    """Run ``benchmarks.child`` for ``piece`` with ``args``; raise PieceFailed with its log tail."""
    work.mkdir(parents=True, exist_ok=True)
    result_path, log_path = work / f"{piece}.json", work / f"{piece}.log"
    result_path.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", "benchmarks.child", piece, json.dumps(args), str(result_path)]
    started = time.perf_counter()
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**_clean_environ(), **(env or {})},
            start_new_session=True,
        )
        status, rusage = _reap(proc, timeout_s)
    wall = time.perf_counter() - started
    if status != 0 or not result_path.exists():
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-25:])
        raise PieceFailed(f"piece {piece} failed (exit status {status}); log {log_path}:\n{tail}")
    result = json.loads(result_path.read_text())
    return Measured(piece, float(result.pop("seconds")), wall, rusage.ru_maxrss / 1024, result)


def _clean_environ() -> dict[str, str]:
    """The environment without the operator's RFM_* settings and DAGSTER_HOME (children set theirs)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("RFM_") and k != "DAGSTER_HOME"}


def _reap(proc: subprocess.Popen, timeout_s: float) -> tuple[int, Any]:
    """Wait for ``proc`` with wait4 (its own rusage); kill its process group after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage
        if time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = -9
            return -9, rusage
        time.sleep(0.02)
