"""A real `vigile serve` subprocess on loopback for end-to-end tests (and its data)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from vigile.spool import groups

VIGILE = str(Path(sys.executable).parent / "vigile")
WHOAMI_RULE = """
title: Whoami execution
id: 11111111-2222-3333-4444-555555555555
status: test
level: high
logsource:
    product: windows
    category: process_creation
detection:
    selection:
        Image|endswith: '\\\\whoami.exe'
    condition: selection
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """`vigile serve` with the worker on, on a database and data dir prepared by the test."""

    def __init__(self, database_url: str, data_dir: Path, rules: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("VIGILE_")}
        self.env.update(
            VIGILE_DATABASE_URL=database_url,
            VIGILE_DATA_DIR=str(data_dir),
            VIGILE_RULES=str(rules),
            VIGILE_ADMIN_PASSWORD="not-used-here-1234",
            VIGILE_SLA_WATCH_SECONDS="0",
            VIGILE_WORKER_PROCESSES="1",
            VIGILE_SYSLOG_PORT="0",
            **env,
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> LiveServer:
        log = (self.data_dir.parent / f"serve-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [VIGILE, "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "server exited"
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("server did not start")

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)

    def committed(self) -> int:
        """The worker's committed spool offset (0 before its first commit)."""
        return groups.load(self.data_dir / "spool").get("pipeline", 0)
