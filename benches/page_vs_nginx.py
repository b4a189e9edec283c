#!/usr/bin/env python3
"""A stored tag page from `shipshape serve` against nginx serving the same HTML as a static file.

Starts a local registry, a fresh `shipshape serve` (SQLite in a temporary directory) and waits until
the tag's image is inspected and scanned, saves the page it renders into nginx's root, then runs
`wrk -t2 -c16 --latency` against nginx, against the page as served (kept in memory for
SHIPSHAPE_PAGE_CACHE seconds, default 5) and against a second `serve` on the same database with
SHIPSHAPE_PAGE_CACHE=0 (every view rendered), alternating, ROUNDS times each. Prints requests per
second and p50/p99 latency, their medians, and the ratios to nginx.

Usage: benches/page_vs_nginx.py [ROUNDS] [SECONDS]   (make bench runs it with the release binary)
"""

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

from harness import SHIPSHAPE, start_nginx, start_registry, wait_for

REGISTRY_PORT = int(os.environ.get("BENCH_REGISTRY_PORT", "5226"))
KEPT_PORT, RENDERED_PORT, NGINX_PORT = 3094, 3095, 3096
HOST = f"127.0.0.1:{REGISTRY_PORT}"
PAGE = f"/images/{HOST}/e2e/app:1.1"


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"\s50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"\s99%\s+([\d.]+\w+)", out)
    if not (rps and p50 and p99) or "Non-2xx" in out or "Socket errors" in out:
        sys.exit(f"wrk against {url} did not run cleanly:\n{out}")
    return float(rps.group(1)), milliseconds(p50.group(1)), milliseconds(p99.group(1))


def scanned(port, proc, timeout=300):
    """Waits until the page's scan is done, so the page measured is the one people see."""
    url = f"http://127.0.0.1:{port}/api/v1/scans/{HOST}/e2e/app:1.1"
    deadline = time.time() + timeout
    while time.time() < deadline:
        state = json.load(urllib.request.urlopen(url))["state"]
        if state in ("done", "failed"):
            return state
        if proc.poll() is not None:
            sys.exit("shipshape exited while scanning")
        time.sleep(0.5)
    sys.exit(f"the scan did not finish within {timeout} s")


def serve(work, port, extra):
    env = {"PATH": os.environ["PATH"], "HOME": work, "SHIPSHAPE_ALLOW_HOSTS": HOST,
           "SHIPSHAPE_DATABASE_URL": f"sqlite://{work}/shipshape.db", "SHIPSHAPE_LOG": "warn",
           "SHIPSHAPE_LISTEN": f"127.0.0.1:{port}", "SHIPSHAPE_BASE_IMAGES": "",
           "SHIPSHAPE_VULNDB_INTERVAL": "0", **extra}
    proc = subprocess.Popen([SHIPSHAPE, "serve"], env=env)
    wait_for(f"http://127.0.0.1:{port}/healthz", proc, "shipshape")
    return proc


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    procs = []
    with tempfile.TemporaryDirectory() as work:
        try:
            procs.append(start_registry(REGISTRY_PORT))
            kept = serve(work, KEPT_PORT, {})
            procs.append(kept)
            wait_for(f"http://127.0.0.1:{KEPT_PORT}/api/v1/images/{HOST}/e2e/app:1.1", kept, "shipshape")
            state = scanned(KEPT_PORT, kept)
            procs.append(serve(work, RENDERED_PORT, {"SHIPSHAPE_PAGE_CACHE": "0", "SHIPSHAPE_WORKER": "false"}))
            html = wait_for(f"http://127.0.0.1:{KEPT_PORT}{PAGE}", kept, "shipshape")
            if b"data-testid=\"platform\"" not in html:
                sys.exit(f"the page is not the stored tag page: {html[:300]!r}")
            procs.append(start_nginx(work, NGINX_PORT, "/page/index.html", html, "text/html"))
            targets = {"nginx": f"http://127.0.0.1:{NGINX_PORT}/page/index.html",
                       "kept": f"http://127.0.0.1:{KEPT_PORT}{PAGE}",
                       "rendered": f"http://127.0.0.1:{RENDERED_PORT}{PAGE}"}
            results = {name: [] for name in targets}
            for i in range(rounds):
                order = list(targets) if i % 2 == 0 else list(reversed(targets))
                for name in order:
                    results[name].append(wrk(targets[name], seconds))
            print(f"stored tag page ({len(html):,} bytes HTML, scan {state}) vs nginx static file, "
                  f"wrk -t2 -c16 -d{seconds}s --latency, {rounds} rounds each")
            medians = {}
            for name, runs in results.items():
                medians[name] = [statistics.median(r[k] for r in runs) for k in range(3)]
                rps, p50, p99 = medians[name]
                shown = " ".join(f"{r[0]:,.0f}" for r in runs)
                print(f"  {name:<9} median {rps:>9,.0f} req/s  p50 {p50:6.2f} ms  p99 {p99:6.2f} ms   runs: {shown}")
            for name in ("kept", "rendered"):
                print(f"  ratio {name}/nginx (median req/s) {medians[name][0] / medians['nginx'][0]:.3f}")
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait()


if __name__ == "__main__":
    main()
