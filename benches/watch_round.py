#!/usr/bin/env python3
"""The watcher's round over 10,000 watched tags on a loopback registry, against a peer doing the
same HEADs.

Starts the e2e registry and mounts the layers of e2e/app:1.0 into REPOS repositories, each with
TAGS tags naming that manifest (PUT directly: 10,000 tags in seconds). A fresh `shipshape serve`
(release build, SQLite, SHIPSHAPE_WATCH_INTERVAL=5) gets a user, a webhook channel and a watch of
each repository (all its tags). The first round sees every tag for the first time (one manifest GET
each); the measured rounds are the later ones, where nothing changed: the round's time (from the
server's own "watch round" log line), the registry requests it made per tag (the e2e registry
counts what it answers), and the server's peak RSS (VmHWM, which includes the first round). The peer
is a Python client making the same 10,000 HEAD requests with 32 threads, without listings,
inspection or a database: what the registry alone allows.

Usage: benches/watch_round.py [ROUNDS]   (make bench runs it with the release binary)
"""

import concurrent.futures
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from harness import SHIPSHAPE, start_registry

PORT = int(os.environ.get("BENCH_WATCH_REGISTRY_PORT", "5232"))
HOST = f"127.0.0.1:{PORT}"
SERVE_PORT = 3097
REPOS, TAGS = 10, 1000
OCI = "application/vnd.oci.image.manifest.v1+json"


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, response.headers, response.read()


def registry_requests():
    return int(request("GET", f"http://127.0.0.1:{PORT + 1}/requests")[2])


def populate():
    """REPOS repositories of TAGS tags each, all naming e2e/app:1.0's manifest."""
    _, _, manifest = request("GET", f"http://{HOST}/v2/e2e/app/manifests/1.0", headers={"Accept": OCI})
    parsed = json.loads(manifest)
    blobs = [parsed["config"]["digest"]] + [layer["digest"] for layer in parsed["layers"]]
    jobs = []
    for r in range(REPOS):
        for digest in blobs:
            request("POST", f"http://{HOST}/v2/bench/r{r}/blobs/uploads/?mount={digest}&from=e2e/app", body=b"")
        jobs += [(r, t) for t in range(TAGS)]

    def put(job):
        r, t = job
        request("PUT", f"http://{HOST}/v2/bench/r{r}/manifests/t{t:05d}", body=manifest, headers={"Content-Type": OCI})

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(put, jobs))


def peer():
    """Seconds for 10,000 manifest HEADs, 32 at a time."""
    urls = [f"http://{HOST}/v2/bench/r{r}/manifests/t{t:05d}" for r in range(REPOS) for t in range(TAGS)]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        list(pool.map(lambda u: request("HEAD", u, headers={"Accept": OCI}), urls))
    return time.perf_counter() - start


def shipshape(work, *args, stdin=""):
    env = {"PATH": os.environ["PATH"], "HOME": work, "SHIPSHAPE_DATABASE_URL": f"sqlite://{work}/shipshape.db"}
    out = subprocess.run([SHIPSHAPE, *args], env=env, input=stdin, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def api(token, path, body):
    status, _, answer = request("POST", f"http://127.0.0.1:{SERVE_PORT}{path}", json.dumps(body).encode(),
                                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    return json.loads(answer)


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    procs = []
    with tempfile.TemporaryDirectory() as work:
        try:
            procs.append(start_registry(PORT))
            started = time.perf_counter()
            populate()
            print(f"{REPOS * TAGS:,} tags pushed in {time.perf_counter() - started:.1f} s")
            shipshape(work, "user", "create", "--username", "bench", stdin="bench password 1234\n")
            token = shipshape(work, "token", "create", "--username", "bench", "--name", "bench", "--scope", "write")
            env = {"PATH": os.environ["PATH"], "HOME": work, "SHIPSHAPE_DATABASE_URL": f"sqlite://{work}/shipshape.db",
                   "SHIPSHAPE_ALLOW_HOSTS": HOST, "SHIPSHAPE_LISTEN": f"127.0.0.1:{SERVE_PORT}",
                   "SHIPSHAPE_BASE_IMAGES": "", "SHIPSHAPE_VULNDB_INTERVAL": "0", "SHIPSHAPE_WATCH_INTERVAL": "5",
                   "SHIPSHAPE_LOG": "warn,shipshape::watch=info"}
            server = subprocess.Popen([SHIPSHAPE, "serve"], env=env, stderr=subprocess.PIPE, text=True)
            procs.append(server)
            rounds_seen = []
            def read_log():
                for line in server.stderr:
                    if "WARN" in line or "ERROR" in line:
                        print(f"  serve: {line.strip()[:300]}", flush=True)
                    if "watch round" in line:
                        fields = dict(re.findall(r"(\w+)=([\d.]+)", line))
                        rounds_seen.append((time.perf_counter(), fields, registry_requests()))
            threading.Thread(target=read_log, daemon=True).start()
            deadline = time.time() + 60
            while True:
                try:
                    request("GET", f"http://127.0.0.1:{SERVE_PORT}/healthz")
                    break
                except OSError:
                    if time.time() > deadline or server.poll() is not None:
                        sys.exit("shipshape serve did not start")
                    time.sleep(0.2)
            channel = api(token, "/api/v1/channels", {"name": "bench", "kind": "webhook", "url": f"http://{HOST}/hook"})
            for r in range(REPOS):
                api(token, "/api/v1/watches", {"repository": f"{HOST}/bench/r{r}", "events": ["tag.updated"],
                                               "channels": [channel["id"]]})
            # The first round records every tag; then `rounds` rounds where nothing changed.
            while len([r for r in rounds_seen if int(float(r[1].get("tags", 0))) >= REPOS * TAGS]) < rounds + 1:
                if server.poll() is not None:
                    sys.exit("shipshape serve exited")
                time.sleep(0.5)
            measured = [r for r in rounds_seen if int(float(r[1].get("tags", 0))) >= REPOS * TAGS]
            peak = peak_rss_mb(server.pid)
            peer_seconds = sorted(peer() for _ in range(3))[1]
            tags = REPOS * TAGS
            print(f"watcher round over {tags:,} watched tags ({REPOS} repository watches), loopback registry")
            for i, (at, fields, count) in enumerate(measured):
                before = measured[i - 1][2] if i else None
                label = "first (every tag new)" if i == 0 else f"round {i}"
                per_tag = f"{(count - before) / tags:.3f}" if before is not None else "–"
                print(f"  {label:<22} {float(fields['seconds']):6.1f} s   requests per tag {per_tag}")
            steady = [float(f["seconds"]) for _, f, _ in measured[1:]]
            median = sorted(steady)[len(steady) // 2]
            print(f"  peer (10,000 HEADs, 32 threads, Python)  {peer_seconds:.1f} s")
            print(f"  steady round median {median:.1f} s (goal ≤ 60 s); ratio to the peer {median / peer_seconds:.2f}")
            print(f"  serve peak RSS {peak:.0f} MB (goal ≤ 150 MB; VmHWM, first round included)")
        finally:
            for proc in reversed(procs):
                proc.terminate()
                proc.wait()


if __name__ == "__main__":
    main()
