"""The servers the ``remote.*`` clauses talk to, each on 127.0.0.1 and a free port, stopped
when the run ends: a real S3-protocol server, a plain HTTP server for downloads, and a
proxy that cuts uploads part-way.

The local S3 server is moto's server mode (extra ``[remote]``), in a child process with
authentication on, so wrong credentials are refused as a real S3 refuses them. Instead,
an author may point the suite at their own endpoint (MinIO, Ceph):
``--conformance-s3-endpoint URL --conformance-s3-bucket NAME`` with ``ACCESS_KEY_ID`` and
``SECRET_ACCESS_KEY`` in the environment. The harness reads and writes objects itself with
``boto3``, never with the client of the backend under test.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

__all__ = ["S3Server", "closed_port", "cutting_proxy", "http_folder", "local_s3",
           "local_s3_missing", "own_s3"]

#: The bucket the clauses use on the local server.
BUCKET = "sedna-conformance"


@dataclass(frozen=True)
class S3Server:
    """An S3 endpoint, credentials that it accepts, and a bucket the clauses may write to."""

    endpoint: str
    access_key: str = field(repr=False)  # credentials never show in a repr or report
    secret_key: str = field(repr=False)
    bucket: str = BUCKET

    def environment(self, **changes: str) -> dict[str, str]:
        """Sedna's S3 variables for a worker using this server, with ``changes``."""
        return {"S3_ENDPOINT_URL": self.endpoint, "ACCESS_KEY_ID": self.access_key,
                "SECRET_ACCESS_KEY": self.secret_key, **changes}

    def url(self, key: str) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{key}"

    @functools.cached_property
    def _client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            config=Config(retries={"max_attempts": 2}))

    def put(self, key: str, path: str) -> str:
        """Upload the file at ``path`` under ``key`` (with the good credentials); its URL."""
        self._client.upload_file(path, self.bucket, key)
        return self.url(key)

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        return key in self.keys(key)

    def keys(self, prefix: str) -> list[str]:
        """The keys stored under ``prefix``."""
        listing = self._client.list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(entry["Key"] for entry in listing.get("Contents", []))


def local_s3_missing() -> str | None:
    """Why the local S3 server cannot start here (one sentence), or ``None``."""
    missing = [name for name in ("moto", "flask", "boto3")
               if importlib.util.find_spec(name) is None]
    if missing:
        return (f"the local S3 server needs {', '.join(missing)}: pip install "
                "'sedna-conformance[remote]', or point the suite at your own S3 endpoint "
                "with --conformance-s3-endpoint and --conformance-s3-bucket")
    return None


@contextlib.contextmanager
def local_s3() -> Iterator[S3Server]:
    """Start moto's S3 server (authentication on) in a child process on 127.0.0.1; create
    a user allowed ``s3:*``, its key and the bucket; stop the server on exit.
    """
    # The first three requests (create the user, its policy, its key) go unauthenticated.
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen(
        [sys.executable, "-P", "-m", "sedna_conformance.harness.processes.s3_server"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True,
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": "3"})
    try:
        assert server.stdout is not None
        ready, _, _ = select.select([server.stdout], [], [], 120)
        line = server.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            log.seek(0)
            said = (log.read().strip().splitlines() or ["nothing"])[-1][:300]
            raise RuntimeError(f"the local S3 server did not start within 120 s (it said: "
                               f"{said})")
        endpoint = f"http://127.0.0.1:{line}"
        key = _create_user(endpoint)
        found = S3Server(endpoint, key["AccessKeyId"], key["SecretAccessKey"])
        found._client.create_bucket(Bucket=found.bucket)
        yield found
    finally:
        if server.stdin is not None:
            server.stdin.close()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _create_user(endpoint: str) -> dict[str, str]:
    import boto3

    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
    iam.create_user(UserName="sedna-worker")
    iam.put_user_policy(UserName="sedna-worker", PolicyName="models", PolicyDocument=json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
    return dict(iam.create_access_key(UserName="sedna-worker")["AccessKey"])


def own_s3(endpoint: str, bucket: str) -> S3Server:
    """The author's own S3 endpoint, with the credentials in ``ACCESS_KEY_ID`` and
    ``SECRET_ACCESS_KEY``.
    """
    access, secret = os.environ.get("ACCESS_KEY_ID"), os.environ.get("SECRET_ACCESS_KEY")
    if not (access and secret and bucket):
        raise ValueError("--conformance-s3-endpoint needs --conformance-s3-bucket and the "
                         "credentials in ACCESS_KEY_ID and SECRET_ACCESS_KEY")
    return S3Server(endpoint, access, secret, bucket)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (free when this returns)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextlib.contextmanager
def http_folder(folder: str) -> Iterator[str]:
    """Serve the files of ``folder`` over plain HTTP on 127.0.0.1; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def cutting_proxy(endpoint: str, limit: int) -> Iterator[str]:
    """A TCP proxy on 127.0.0.1 in front of the plain-HTTP ``endpoint`` that passes every
    request whole, except that a request whose body is longer than ``limit`` bytes is cut
    after ``limit`` bytes: both connections are closed, as when a worker dies or the
    network fails during an upload. Yields the proxy's endpoint URL.
    """
    parts = urllib.parse.urlparse(endpoint)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"the cutting proxy needs a plain http:// endpoint, got {endpoint!r}")
    target = (parts.hostname, parts.port or 80)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    relays: list[threading.Thread] = []
    sockets: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sockets.append(client)
            relay = threading.Thread(target=_relay, args=(client, target, limit, sockets),
                                     daemon=True)
            relays.append(relay)
            relay.start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        listener.close()
        for side in list(sockets):
            _close(side)
        for relay in relays:
            relay.join(timeout=5)


def _relay(client: socket.socket, target: tuple[str, int], limit: int,
           sockets: list[socket.socket]) -> None:
    upstream = None
    try:
        upstream = socket.create_connection(target)
        sockets.append(upstream)
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()
        reader = client.makefile("rb")
        while True:
            head = _read_head(reader)
            if not head:
                break
            upstream.sendall(head)
            headers = _headers(head)
            if "chunked" in headers.get(b"transfer-encoding", b"").lower().decode("latin-1"):
                if not _forward_chunked(reader, upstream, limit):
                    break  # cut mid-body
                continue
            length = int(headers.get(b"content-length", b"0") or 0)
            if length > limit:
                upstream.sendall(reader.read(limit))
                break  # cut: close both sides mid-body
            if length > 0:
                upstream.sendall(reader.read(length))
    except (OSError, ValueError):
        pass
    finally:
        _close(client)
        if upstream is not None:
            _close(upstream)


def _close(side: socket.socket) -> None:
    with contextlib.suppress(OSError):
        side.shutdown(socket.SHUT_RDWR)
    side.close()


def _read_head(reader: Any) -> bytes:
    lines = []
    while True:
        line = reader.readline(65536)
        if not line:
            return b""
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(lines)


def _headers(head: bytes) -> dict[bytes, bytes]:
    found = {}
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if value:
            found[name.strip().lower()] = value.strip()
    return found


def _forward_chunked(reader: Any, upstream: socket.socket, limit: int) -> bool:
    """Forward one chunked body; ``False`` if it was cut after ``limit`` body bytes."""
    sent = 0
    while True:
        size_line = reader.readline(65536)
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if sent + size > limit:
            upstream.sendall(size_line + reader.read(limit - sent))
            return False
        upstream.sendall(size_line + reader.read(size + 2))  # the chunk and its CRLF
        sent += size
        if size == 0:
            return True  # (a trailer, if any, ends with the empty line read above)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
