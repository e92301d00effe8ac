"""`vigile serve` end to end, as `make run` starts it: first admin printed once, API answers."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

VIGILE = str(Path(sys.executable).parent / "vigile")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _get(url: str, auth: tuple[str, str] | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url)
    if auth:
        raw = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {raw}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _start(data_dir: Path, port: int) -> tuple[subprocess.Popen[str], list[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGILE_")}
    env.update(VIGILE_DATA_DIR=str(data_dir), VIGILE_PORT=str(port))
    process = subprocess.Popen(
        [VIGILE, "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if "Uvicorn running" in line:
            return process, lines
    process.kill()
    raise AssertionError("server did not start:\n" + "\n".join(lines))


def test_first_start_prints_working_admin_credentials(tmp_path: Path) -> None:
    port = _free_port()
    process, lines = _start(tmp_path, port)
    try:
        banner = "\n".join(lines)
        assert f"http://127.0.0.1:{port}/api/docs" in banner
        marker = next(i for i, line in enumerate(lines) if "shown once" in line)
        password = lines[marker + 1].strip()
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/healthz") == (200, {"status": "ok"})
        assert _get(f"{base}/readyz")[0] == 200
        status, me = _get(f"{base}/api/v1/auth/me", ("admin", password))
        assert status == 200 and me["role"] == "admin"
        assert _get(f"{base}/api/v1/auth/me", ("admin", "wrong-password"))[0] == 401
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert (tmp_path / "vigile.db").exists()

    # Second start: the admin exists, no new password is printed.
    process, lines = _start(tmp_path, port)
    process.terminate()
    process.wait(timeout=20)
    assert not any("shown once" in line for line in lines)
