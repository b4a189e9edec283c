#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs (fuzz/seeds/<target>/): a few small, valid examples of
each format, so the fuzzer starts from inputs that reach deep into each parser. The seeds are
committed; run this again only to change them. Parts of one input are joined by a 0xff byte
(see fuzz/src/lib.rs `parts`)."""

import gzip
import io
import json
import os
import sqlite3
import struct
import subprocess
import tarfile
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
SEP = b"\xff"
DIGEST = "sha256:" + "a" * 64


def write(target, name, data):
    os.makedirs(os.path.join(HERE, target), exist_ok=True)
    with open(os.path.join(HERE, target, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def references():
    for i, text in enumerate([
        "alpine",
        "library/alpine:3.20",
        "ghcr.io/owner/repo@" + DIGEST,
        "[2001:db8::1]:5000/team/app:v1.0",
        "localhost:5000/a_b__c-d/e.f:tag@" + DIGEST,
    ]):
        write("reference", f"seed{i}", text)


def challenges():
    write("www_authenticate", "docker-hub", 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
          'scope="repository:library/alpine:pull"')
    write("www_authenticate", "two-values", 'Basic realm="registry"\nbearer REALM=http://a:1/t, error="invalid_token"')
    write("www_authenticate", "escaped", 'Basic realm="x", Bearer realm="a\\"b",service=s')


def manifests():
    config = {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": DIGEST, "size": 10}
    layer = {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": DIGEST, "size": 100}
    image = {"schemaVersion": 2, "config": config, "layers": [layer, layer], "annotations": {"a": "b"}}
    image_config = {
        "created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
        "config": {"User": "1000:1000", "Env": ["PATH=/bin", "API_TOKEN=x"], "Entrypoint": ["/app"],
                   "Cmd": ["run"], "WorkingDir": "/srv", "ExposedPorts": {"80/tcp": {}},
                   "Labels": {"org.opencontainers.image.source": "https://github.com/o/r",
                              "org.opencontainers.image.revision": "0123456789abcdef"},
                   "Healthcheck": {"Test": ["CMD", "true"], "Interval": 1000000000}},
        "rootfs": {"type": "layers", "diff_ids": [DIGEST, DIGEST]},
        "history": [{"created_by": "/bin/sh -c #(nop) ADD file:x in /"},
                    {"created_by": "RUN apk add curl # buildkit", "empty_layer": False},
                    {"created_by": "ENV A=b", "empty_layer": True}],
    }
    entry = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": DIGEST, "size": 500,
             "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}
    attestation = dict(entry, platform={"os": "unknown", "architecture": "unknown"},
                       annotations={"vnd.docker.reference.type": "attestation-manifest"})
    index = {"schemaVersion": 2, "manifests": [entry, attestation]}
    write("manifest", "image", json.dumps(image).encode() + SEP + json.dumps(image_config).encode())
    write("manifest", "index", json.dumps(index))


DPKG = """Package: libc6
Status: install ok installed
Architecture: amd64
Source: glibc (2.36-9)
Version: 2.36-9+deb12u4
Description: GNU C Library
 shared libraries

Package: base-files
Status: install ok installed
Version: 12.4+deb12u5
"""

APK = """C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
o:musl
L:MIT

P:busybox
V:1.36.1-r15
o:busybox
L:GPL-2.0-only
"""

GO_MODULES = ("path\texample.com/app\nmod\texample.com/app\t(devel)\t\n"
              "dep\tgolang.org/x/text\tv0.3.7\th1:x=\n=>\t../text\t(devel)\t\n"
              "build\t-ldflags=\"-X main.version=1.2.3\"\n"
              "build\tvcs.revision=5e16e5031a13aaaaaaaaaaaaaaaaaaaaaaaaaaaa\nbuild\tvcs.time=2024-12-13T18:30:11Z\n")


def tar_bytes(entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path, data in entries:
            info = tarfile.TarInfo(path)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o755 if data.startswith(b"\x7fELF") else 0o644
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def layers():
    base = tar_bytes([
        ("etc", None),
        ("etc/os-release", b'ID=debian\nVERSION_ID="12"\n'),
        ("var/lib/dpkg/status", DPKG.encode()),
        ("var/lib/dpkg/status.d/tzdata", b"Package: tzdata\nVersion: 2024a-0+deb12u1\n"),
        ("usr/lib/node_modules/x/package.json", b'{"name":"x","version":"1.0.0","license":"MIT"}'),
        ("etc/.wh.motd", b""),
        ("opt/.wh..wh..opq", b""),
        ("usr/share/" + "long-name/" * 12 + "file", b"pax path"),
    ])
    write("layer", "debian.tar.gz", gzip.compress(base, 9, mtime=0))
    alpine = tar_bytes([("etc/alpine-release", b"3.20.3\n"), ("lib/apk/db/installed", APK.encode()),
                        ("usr/bin/app", elf())])
    write("layer", "alpine.tar", alpine)
    zstd = subprocess.run(["zstd", "-q", "-c", "-19"], input=alpine, capture_output=True, check=True).stdout
    write("layer", "alpine.tar.zst", zstd)


def varint_string(data):
    out, n = b"", len(data)
    while n >= 0x80:
        out += bytes([(n & 0x7f) | 0x80])
        n >>= 7
    return out + bytes([n]) + data


def elf():
    """A little-endian ELF64 with Go buildinfo (inline strings) and a cargo-auditable section."""
    sentinel = b"0" * 16
    blob = b"\xff Go buildinf:" + bytes([8, 2]) + bytes(16)
    blob += varint_string(b"go1.22.1") + varint_string(sentinel + GO_MODULES.encode() + sentinel)
    audit = zlib.compress(b'{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true}]}')
    sections = [(".go.buildinfo", blob), (".dep-v0", audit)]
    names = b"\0"
    offsets = []
    for name, _ in sections + [(".shstrtab", b"")]:
        offsets.append(len(names))
        names += name.encode() + b"\0"
    data = bytearray(64)
    data[:6] = b"\x7fELF\x02\x01"
    placed = []
    for _, body in sections + [("", names)]:
        placed.append((len(data), len(body)))
        data += body
    shoff = len(data)
    data += bytes(64)
    for i, (offset, size) in enumerate(placed):
        data += struct.pack("<IIQQQQ", offsets[i], 1, 0, 0, offset, size) + bytes(16)
    struct.pack_into("<Q", data, 0x28, shoff)
    struct.pack_into("<HHH", data, 0x3a, 64, len(placed) + 1, len(placed))
    return bytes(data)


def rpm_header(fields):
    """rpm's header blob: index entries (tag, type, offset, count), then the data store."""
    entries, store = b"", b""
    for tag, kind, value in fields:
        if kind == 4:
            store += b"\0" * (-len(store) % 4)
            entries += struct.pack(">iIII", tag, kind, len(store), 1)
            store += struct.pack(">I", value)
        else:
            entries += struct.pack(">iIII", tag, kind, len(store), 1)
            store += value.encode() + b"\0"
    return struct.pack(">II", len(fields), len(store)) + entries + store


def rpmdb():
    packages = [
        rpm_header([(1000, 6, "bash"), (1001, 6, "5.1.8"), (1002, 6, "6.el9"), (1014, 6, "GPLv3+"),
                    (1022, 6, "x86_64"), (1044, 6, "bash-5.1.8-6.el9.src.rpm")]),
        # Long enough to spill onto an overflow page at a 512-byte page size.
        rpm_header([(1000, 6, "openssl-libs"), (1001, 6, "3.0.7"), (1002, 6, "25.el9"), (1003, 4, 1),
                    (1014, 6, "ASL 2.0 " * 90), (1044, 6, "openssl-3.0.7-25.el9.src.rpm")]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rpmdb.sqlite")
        db = sqlite3.connect(path)
        db.execute("PRAGMA page_size=512")
        db.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
        db.executemany("INSERT INTO Packages (blob) VALUES (?)", [(p,) for p in packages])
        db.commit()
        db.execute("VACUUM")
        db.close()
        with open(path, "rb") as f:
            data = f.read()
    write("rpm", "rpmdb.sqlite", data)
    write("sqlite", "rpmdb.sqlite", data)


OSV = {
    "id": "GHSA-xxxx", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-2024-1"],
    "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
    "affected": [
        {"package": {"ecosystem": "npm", "name": "lodash"}, "versions": ["4.17.20"],
         "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]},
        {"package": {"ecosystem": "Debian:12", "name": "openssl"},
         "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "1.0"}, {"last_affected": "3.0.11-1~deb12u1"}]}]},
    ],
}


def advisories():
    write("osv", "record", json.dumps(OSV).encode() + SEP + b"4.17.20\n3.0.11-1~deb12u2\n1:2.0-r1\n1.0.0a1")
    write("vulndb", "osv.json", b"\0" + json.dumps(OSV).encode())
    secdb = "distroversion: v3.20\npackages:\n  - pkg:\n      name: openssl\n      secfixes:\n" \
            "        3.1.4-r1:\n          - CVE-2023-5678\n        0:\n          - CVE-2022-0001\n"
    write("vulndb", "alpine.yaml", b"\1" + secdb.encode())
    write("vulndb", "alpine.json", b"\0" + json.dumps({"distroversion": "v3.20", "packages": [
        {"pkg": {"name": "musl", "secfixes": {"1.2.4-r2": ["CVE-2024-2"]}}}]}).encode())
    tracker = {"openssl": {"CVE-2024-3": {"releases": {
        "bookworm": {"status": "resolved", "fixed_version": "3.0.13-1~deb12u1", "urgency": "medium"},
        "trixie": {"status": "open", "urgency": "high"}}}}}
    write("vulndb", "debian.json", b"\0" + json.dumps(tracker).encode())


VERSIONS = {
    "version_dpkg": ["1:2.36-9+deb12u4\n2.36-9\n2.36~rc1-1", "1.0\n1.00\n1.0-0", "0.9+a\n0.9.a~b\n0.9"],
    "version_apk": ["1.2.4-r2\n1.2.4_rc1-r0\n1.2.4_p1", "2.0a\n2.0.1\n2.0_git2024", "1.0-r10\n1.0-r9\n1.0"],
    "version_rpm": ["1:3.0.7-25.el9\n3.0.7-24.el9\n3.0.7~rc1-1", "1.0^git1\n1.0\n1.0a", "2.a\n2.1\n2_1"],
    "version_semver": ["1.2.3\n1.2.3-rc.1\nv1.2.4", "0.0.0-20241213183011-5e16e5031a13\n1.0.0+build\n1.0.0",
                       "1.2.3-alpha.10\n1.2.3-alpha.9\n1.2.3-alpha"],
    "version_pep440": ["1.0.post1\n1.0rc1\n1!0.5", "2.0.dev3\n2.0a1.dev2\n2.0+local.1", "1.0\n1.0.0\n1.0.0.0"],
    "version_rubygems": ["1.2.3\n1.2.3.pre\n1.2.a", "0.9.0.rc1\n0.9\n0.10", "3.0.0.beta2\n3.0.0.beta10\n3"],
}


def main():
    references()
    challenges()
    manifests()
    write("dpkg", "status", DPKG)
    write("apk", "installed", APK)
    write("golang", "modules", b"go1.22.1" + SEP + GO_MODULES.encode())
    write("executable", "go-and-rust", elf())
    layers()
    rpmdb()
    advisories()
    for target, seeds in VERSIONS.items():
        for i, text in enumerate(seeds):
            write(target, f"seed{i}", text)


if __name__ == "__main__":
    main()
