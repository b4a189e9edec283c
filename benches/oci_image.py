#!/usr/bin/env python3
"""Builds an OCI image layout from root filesystems, one layer per directory (each layer holds
what differs from the previous directory, with whiteouts for what was removed), for pushing with
`skopeo copy oci:DIR:TAG docker://…`.

Usage: benches/oci_image.py OUT_DIR TAG [--user U] ROOTFS[=COMMAND]...
"""

import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile


def snapshot(root):
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, root)
            target = os.readlink(path) if stat.S_ISLNK(st.st_mode) else None
            files[rel] = (st.st_mode, st.st_size, int(st.st_mtime), target)
    return files


def layer(root, previous):
    now = snapshot(root)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in sorted(now):
            if previous.get(rel) == now[rel] and not stat.S_ISDIR(now[rel][0]):
                continue
            if previous.get(rel) == now[rel]:
                continue
            tar.add(os.path.join(root, rel), arcname=rel, recursive=False)
        for rel in sorted(set(previous) - set(now)):
            parent = os.path.dirname(rel)
            if parent and parent not in now:
                continue  # the whole directory went: its own whiteout covers it
            info = tarfile.TarInfo(os.path.join(parent, ".wh." + os.path.basename(rel)))
            tar.addfile(info, io.BytesIO(b""))
    raw = buf.getvalue()
    return now, raw


def blob(out, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def main():
    args = sys.argv[1:]
    out, tag = args[0], args[1]
    user = ""
    if args[2] == "--user":
        user, args = args[3], args[:2] + args[4:]
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    previous, layers, diff_ids, history = {}, [], [], []
    for spec in args[2:]:
        root, _, command = spec.partition("=")
        previous, raw = layer(root, previous)
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        digest, size = blob(out, gzip.compress(raw, compresslevel=6, mtime=0))
        layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest, "size": size})
        history.append({"created": "2026-11-01T00:00:00Z", "created_by": command or f"ADD {os.path.basename(root)} /"})
    config = {"architecture": "amd64", "os": "linux", "created": "2026-11-01T00:00:00Z",
              "config": {"User": user, "Cmd": ["/bin/bash"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
              "history": history}
    config_digest, config_size = blob(out, json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config_size},
                "layers": layers}
    manifest_digest, manifest_size = blob(out, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": manifest_digest, "size": manifest_size, "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)


if __name__ == "__main__":
    main()
