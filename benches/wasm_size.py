#!/usr/bin/env python3
"""The size of the browser's wasm bundle, raw and as `gzip -9` sends it, against the goal.

Reads the bundle `make build` wrote (target/site/pkg/shipshape.wasm; WASM_BUNDLE for another) and
compresses it with the gzip command itself, from standard input (no file name in the header).

Usage: benches/wasm_size.py   (make bench runs it after the build)
"""

import os
import subprocess
import sys

from harness import ROOT

GOAL = 350_000  # bytes of gzip -9 output: 350 KB
BUNDLE = os.environ.get("WASM_BUNDLE", os.path.join(ROOT, "target/site/pkg/shipshape.wasm"))


def main():
    if not os.path.exists(BUNDLE):
        sys.exit(f"{BUNDLE} is missing: run make build first")
    raw = os.path.getsize(BUNDLE)
    with open(BUNDLE, "rb") as wasm:
        gzipped = len(subprocess.run(["gzip", "-9"], stdin=wasm, capture_output=True, check=True).stdout)
    verdict = "within" if gzipped <= GOAL else "OVER"
    where = os.path.relpath(BUNDLE, ROOT) if BUNDLE.startswith(ROOT + os.sep) else BUNDLE
    print(f"wasm bundle ({where}): {raw:,} bytes raw, {gzipped:,} bytes gzip -9 "
          f"({gzipped / 1000:.1f} KB; goal ≤ {GOAL / 1000:.0f} KB: {verdict}, {gzipped / GOAL:.2f} of it)")


if __name__ == "__main__":
    main()
