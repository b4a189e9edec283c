"""What the benchmark scripts share: where the binaries are, the local registry, timing."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHIPSHAPE = os.environ.get("SHIPSHAPE_BIN", os.path.join(ROOT, "target/release/shipshape"))
REGISTRY_BIN = os.environ.get("E2E_REGISTRY_BIN", os.path.join(ROOT, "target/debug/e2e-registry"))


def wait_for(url, proc, what):
    """Polls `url` until it answers (returning the body), failing if `proc` exits first."""
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} exited early with {proc.returncode}")
        try:
            return urllib.request.urlopen(url, timeout=2).read()
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{what} not ready within 60 s")


def start_registry(port):
    """The e2e registry (docker-registry with the specs' images) on `port`, ready."""
    registry = subprocess.Popen([REGISTRY_BIN], env={**os.environ, "E2E_REGISTRY_PORT": str(port)},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(f"http://127.0.0.1:{port + 1}/ready", registry, "registry")
    return registry


def timed(cmd, env=None):
    """Wall time of `cmd` and its stdout; exits with its stderr when it fails."""
    start = time.perf_counter()
    out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"{cmd[0]} failed: {out.stderr.decode()[-2000:]}")
    return elapsed, out.stdout


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

NGINX_CONF = """
worker_processes auto;
daemon off;
pid {dir}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    types {{ {mime} {extension}; }}
    client_body_temp_path {dir}/tmp;
    proxy_temp_path {dir}/tmp;
    fastcgi_temp_path {dir}/tmp;
    uwsgi_temp_path {dir}/tmp;
    scgi_temp_path {dir}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {dir}/www;
        {headers}
    }}
}}
"""


def start_nginx(work, port, path, body, mime, headers=""):
    """nginx (`worker_processes auto`, access log off) on `port` serving `body` as the static file
    `path` under `work`, ready; `headers` are extra nginx directives (e.g. `add_header …;`)."""
    os.chmod(work, 0o755)  # nginx's workers run as nobody when started by root
    os.makedirs(os.path.dirname(f"{work}/www{path}"), exist_ok=True)
    os.makedirs(f"{work}/tmp", exist_ok=True)
    with open(f"{work}/www{path}", "wb") as f:
        f.write(body)
    extension = path.rsplit(".", 1)[1]
    with open(f"{work}/nginx.conf", "w") as f:
        f.write(NGINX_CONF.format(dir=work, port=port, mime=mime, extension=extension, headers=headers))
    nginx = subprocess.Popen([NGINX, "-c", f"{work}/nginx.conf", "-p", work])
    served = wait_for(f"http://127.0.0.1:{port}{path}", nginx, "nginx")
    assert served == body
    return nginx
