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

from harness import SHIPSHAPE, start_registry, timed

PORT = int(os.environ.get("BENCH_REGISTRY_PORT", "5223"))
HOST = f"127.0.0.1:{PORT}"
REF = f"{HOST}/e2e/app:1.1"


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    registry = start_registry(PORT)
    try:
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
