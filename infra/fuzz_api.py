#!/usr/bin/env python3
"""Fuzzes the local server from its OpenAPI document with Schemathesis (part of `make test`).

Starts target/debug/stagepass-local on a free port with its own data folder, runs
`schemathesis run` (infra/schemathesis.toml) bounded in time and examples, then counts what the
server answered from its own request log. Fails if Schemathesis finds anything or the server
answered any 5xx. Usage: fuzz_api.py [--max-time SECONDS] [--max-examples N] [--seed N]
"""

import argparse
import collections
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("VENV", ROOT / ".venv"))
DEMO_PASSWORD = re.search(
    r'DEMO_PASSWORD: &str = "([^"]+)"', (ROOT / "shared/local/src/demo.rs").read_text()
).group(1)
# The server logs one line per request: ... request method=POST path=/events status=201 ...
REQUEST_LINE = re.compile(r"\brequest\b.*\bmethod=(\S+).*\bstatus=(\d{3})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-time", type=int, default=120)
    parser.add_argument("--max-examples", type=int, default=25)
    parser.add_argument("--seed", type=int, default=int.from_bytes(os.urandom(4), "big"))
    args = parser.parse_args()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = Path(tempfile.mkdtemp(prefix="stagepass-fuzz-"))
    out = ROOT / "target" / "fuzz"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    server_log = out / "server.log"
    env = dict(
        os.environ,
        PORT=str(port),
        STAGEPASS_DATA_DIR=str(data),
        NO_COLOR="1",
        RUST_LOG="info",
        # Per-buyer and per-address limits high enough that the fuzzer reaches the rules behind
        # them (their 429s are in the document and tested in tests/e2e).
        STAGEPASS_HOLDS_PER_MINUTE="10000",
        STAGEPASS_CHECKOUTS_PER_MINUTE="1000",
        STAGEPASS_MAX_HELD_PER_EVENT="1000",
        STAGEPASS_CLIENT_ATTEMPTS_PER_MINUTE="10000",
    )
    with open(server_log, "w") as log:
        server = subprocess.Popen(
            [str(ROOT / "target/debug/stagepass-local")], env=env, stdout=log, stderr=log
        )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/openapi.json", timeout=1)
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"the local server stopped; see {server_log}")
                time.sleep(0.1)
        else:
            sys.exit(f"the local server did not start; see {server_log}")
        command = [
            str(VENV / "bin/schemathesis"),
            "--config-file", str(ROOT / "infra/schemathesis.toml"),
            "--no-color",
            "run", str(ROOT / "shared/api/openapi.json"),
            "--url", base,
            "--max-examples", str(args.max_examples),
            "--max-time", str(args.max_time),
            "--seed", str(args.seed),
            "--workers", "2",
            "--report", "junit",
            "--report-dir", str(out),
        ]
        started = time.monotonic()
        # Run in target/fuzz: Schemathesis keeps its cache (.schemathesis/) in its folder.
        fuzz = subprocess.run(
            command, env=dict(env, STAGEPASS_FUZZ_PASSWORD=DEMO_PASSWORD), cwd=out
        )
        took = time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data, ignore_errors=True)

    statuses = collections.Counter()
    for line in server_log.read_text(errors="replace").splitlines():
        m = REQUEST_LINE.search(line)
        if m:
            statuses[int(m.group(2))] += 1
    total = sum(statuses.values())
    errors = sum(n for s, n in statuses.items() if s >= 500)
    by_class = collections.Counter()
    for s, n in statuses.items():
        by_class[f"{s // 100}xx"] += n
    print(
        f"fuzz: {total} requests in {took:.0f} s (seed {args.seed}): "
        + ", ".join(f"{c} {n}" for c, n in sorted(by_class.items()))
        + f"; {errors} server errors (log: {server_log})"
    )
    if total == 0:
        sys.exit("fuzz: the server logged no requests")
    if errors:
        sys.exit(f"fuzz: {errors} answers were 5xx")
    sys.exit(fuzz.returncode)


if __name__ == "__main__":
    main()
