#!/usr/bin/env python3
"""Cold `shipshape inspect` against `skopeo inspect --config`, side by side on one local registry.

For each of four images (the e2e app: three layers, labels, a user; a Docker-format single layer
running as root; the deepest of a three-image lineage; a two-platform index, of which skopeo reads
the machine's platform, and so does shipshape, told `--platform linux/amd64`), each round runs both
tools once, in alternating order:
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
REFS = [f"{HOST}/e2e/app:1.1", f"{HOST}/e2e/root:latest", f"{HOST}/e2e/service:1", f"{HOST}/e2e/multi:latest"]
# skopeo resolves an index to the platform it runs on: shipshape is asked for that one too.
PLATFORM = {f"{HOST}/e2e/multi:latest": ["--platform", "linux/amd64"]}


def rounds_of(ref, rounds):
    """Wall times of both tools over `rounds` cold runs of `ref`."""
    ours, theirs = [], []
    for i in range(rounds):
        with tempfile.TemporaryDirectory() as data, tempfile.TemporaryDirectory() as home:
            env_ours = {"PATH": os.environ["PATH"], "HOME": home, "SHIPSHAPE_ALLOW_HOSTS": HOST,
                        "SHIPSHAPE_DATABASE_URL": f"sqlite://{data}/shipshape.db", "SHIPSHAPE_LOG": "warn"}
            env_theirs = {"PATH": os.environ["PATH"], "HOME": home}
            subprocess.run([SHIPSHAPE, "migrate"], env=env_ours, check=True)
            runs = [
                ("ours", [SHIPSHAPE, "inspect", ref, "--json", *PLATFORM.get(ref, [])], env_ours),
                ("theirs", ["skopeo", "inspect", "--config", "--tls-verify=false", f"docker://{ref}"], env_theirs),
            ]
            if i % 2:
                runs.reverse()
            for who, cmd, env in runs:
                elapsed, _ = timed(cmd, env)
                (ours if who == "ours" else theirs).append(elapsed)
    return ours, theirs


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    registry = start_registry(PORT)
    try:
        print(f"cold inspect, {rounds} rounds each per image, alternating order (median ms; ratio shipshape/skopeo)")
        ratios = []
        for ref in REFS:
            ours, theirs = rounds_of(ref, rounds)
            med_ours, med_theirs = statistics.median(ours), statistics.median(theirs)
            ratios.append(med_ours / med_theirs)
            name = ref.split("/", 1)[1]
            print(f"  {name:<20} shipshape {med_ours * 1000:6.1f} (mean {statistics.mean(ours) * 1000:6.1f})"
                  f"   skopeo {med_theirs * 1000:6.1f} (mean {statistics.mean(theirs) * 1000:6.1f})"
                  f"   ratio {ratios[-1]:.2f}")
        print(f"  worst ratio {max(ratios):.2f}")
    finally:
        registry.terminate()
        registry.wait()


if __name__ == "__main__":
    main()
