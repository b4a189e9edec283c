#!/usr/bin/env python3
"""A cached badge from `shipshape serve` against nginx serving the same SVG as a static file.

Starts a local registry, a fresh `shipshape serve` (SQLite in a temporary directory), inspects one
tag through the API so its facts are stored, saves the badge it serves into nginx's root, then
runs `wrk -c 64` against each in turn (alternating, ROUNDS times each) and prints requests per
second, their medians and the ratio. Both servers get the machine's cores (tokio's default worker
threads; nginx `worker_processes auto`), wrk runs beside them.

Usage: benches/badge_vs_nginx.py [ROUNDS] [SECONDS]   (make bench runs it with the release binary)
"""

import os
import re
import statistics
import subprocess
import sys
import tempfile

from harness import SHIPSHAPE, start_nginx, start_registry, wait_for

REGISTRY_PORT = int(os.environ.get("BENCH_REGISTRY_PORT", "5225"))
OURS_PORT, NGINX_PORT = 3097, 3098
HOST = f"127.0.0.1:{REGISTRY_PORT}"
BADGE = f"/badges/image/{HOST}/e2e/app:1.1.svg"


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{seconds}s", url], capture_output=True, text=True, check=True)
    match = re.search(r"Requests/sec:\s+([\d.]+)", out.stdout)
    if not match or "Non-2xx" in out.stdout or "Socket errors" in out.stdout:
        sys.exit(f"wrk against {url} did not run cleanly:\n{out.stdout}")
    return float(match.group(1))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    procs = []
    with tempfile.TemporaryDirectory() as work:
        try:
            procs.append(start_registry(REGISTRY_PORT))
            env = {"PATH": os.environ["PATH"], "HOME": work, "SHIPSHAPE_ALLOW_HOSTS": HOST,
                   "SHIPSHAPE_DATABASE_URL": f"sqlite://{work}/shipshape.db", "SHIPSHAPE_LOG": "warn",
                   "SHIPSHAPE_LISTEN": f"127.0.0.1:{OURS_PORT}", "SHIPSHAPE_BASE_IMAGES": ""}
            ours = subprocess.Popen([SHIPSHAPE, "serve"], env=env)
            procs.append(ours)
            wait_for(f"http://127.0.0.1:{OURS_PORT}/healthz", ours, "shipshape")
            wait_for(f"http://127.0.0.1:{OURS_PORT}/api/v1/images/{HOST}/e2e/app:1.1", ours, "shipshape")
            svg = wait_for(f"http://127.0.0.1:{OURS_PORT}{BADGE}", ours, "shipshape")
            if b"inspecting" in svg or b"not found" in svg:
                sys.exit(f"the badge is not the stored one: {svg[:300]!r}")
            procs.append(start_nginx(work, NGINX_PORT, "/badge/app.svg", svg, "image/svg+xml",
                                     'add_header Cache-Control "max-age=300";'))
            targets = {"shipshape": f"http://127.0.0.1:{OURS_PORT}{BADGE}",
                       "nginx": f"http://127.0.0.1:{NGINX_PORT}/badge/app.svg"}
            results = {name: [] for name in targets}
            for i in range(rounds):
                order = list(targets) if i % 2 == 0 else list(reversed(targets))
                for name in order:
                    results[name].append(wrk(targets[name], seconds))
            print(f"cached badge ({len(svg)} bytes SVG) vs nginx static file, wrk -t2 -c64 -d{seconds}s, {rounds} rounds each")
            for name, rps in results.items():
                runs = " ".join(f"{r:,.0f}" for r in rps)
                print(f"  {name:<10} median {statistics.median(rps):>9,.0f} req/s   runs: {runs}")
            ratio = statistics.median(results["shipshape"]) / statistics.median(results["nginx"])
            print(f"  ratio shipshape/nginx (median) {ratio:.2f}")
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait()


if __name__ == "__main__":
    main()
