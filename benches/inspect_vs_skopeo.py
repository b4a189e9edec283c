#!/usr/bin/env python3
"""Cold `shipshape inspect` against `skopeo inspect --config`, side by side on one local registry.

Each round runs both tools once, in alternating order, on the same single-platform tag:
shipshape with a brand-new SQLite database, migrated before the clock starts (so nothing is cached:
it fetches the manifest and the config like skopeo does, and stores them), skopeo with a fresh HOME. Prints median and mean wall times and the ratio.

Usage: benches/inspect_vs_skopeo.py [ROUNDS]   (make bench runs it with the release binary)
"""

import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPSHAPE = os.environ.get("SHIPSHAPE_BIN", os.path.join(ROOT, "target/release/shipshape"))
REGISTRY_BIN = os.environ.get("E2E_REGISTRY_BIN", os.path.join(ROOT, "target/debug/e2e-registry"))
PORT = int(os.environ.get("BENCH_REGISTRY_PORT", "5223"))
HOST = f"127.0.0.1:{PORT}"
REF = f"{HOST}/e2e/app:1.1"


def wait_ready(proc):
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"registry exited early with {proc.returncode}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT + 1}/ready", timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    sys.exit("registry not ready within 60 s")


def timed(cmd, env):
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {out.stderr.decode()}")
    return elapsed, out.stdout


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    registry = subprocess.Popen([REGISTRY_BIN], env={**os.environ, "E2E_REGISTRY_PORT": str(PORT)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(registry)
        ours, theirs = [], []
        for i in range(rounds):
            with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as home:
                env_ours = {"PATH": os.environ["PATH"], "HOME": home, "SHIPSHAPE_ALLOW_HOSTS": HOST,
                            "SHIPSHAPE_DATABASE_URL": f"sqlite://{data}/shipshape.db", "SHIPSHAPE_LOG": "warn"}
                env_theirs = {"PATH": os.environ["PATH"], "HOME": home}
                subprocess.run([SHIPSHAPE, "migrate"], env=env_ours, check=True)
                runs = [
                    ("ours", [SHIPSHAPE, "inspect", REF, "--json"], env_ours),
                    ("theirs", ["skopeo", "inspect", "--config", "--tls-verify=false", f"docker://{REF}"], env_theirs),
                ]
                if i % 2:
                    runs.reverse()
                for who, cmd, env in runs:
                    elapsed, _ = timed(cmd, env)
                    (ours if who == "ours" else theirs).append(elapsed)
        med_ours, med_theirs = statistics.median(ours), statistics.median(theirs)
        print(f"cold inspect of {REF}, {rounds} rounds each, alternating order")
        print(f"  shipshape inspect --json      median {med_ours * 1000:7.1f} ms  mean {statistics.mean(ours) * 1000:7.1f} ms")
        print(f"  skopeo inspect --config       median {med_theirs * 1000:7.1f} ms  mean {statistics.mean(theirs) * 1000:7.1f} ms")
        print(f"  ratio shipshape/skopeo (median) {med_ours / med_theirs:.2f}")
    finally:
        registry.terminate()
        registry.wait()


if __name__ == "__main__":
    main()
