"""Remote model URLs as Sedna's deployments use them: ``s3://bucket/key`` (upload and
download) and ``http(s)://`` (download only).

S3 is configured by Sedna's environment variables, read at each call: ``S3_ENDPOINT_URL``
(default ``http://s3.amazonaws.com``; without a scheme it means ``https://``),
``ACCESS_KEY_ID`` and ``SECRET_ACCESS_KEY`` (from the job's Secret). It goes through
``minio``, the client Sedna itself uses, imported only when an ``s3://`` URL is used
(extra ``[remote]``).

* An upload is one S3 object write, which the server makes visible whole or not at all:
  nothing is ever written under the final key part by part.
* A download goes to a temporary file beside its destination, which then replaces the
  destination atomically; a failed download leaves the destination as it was.
* Errors name the URL and say what to check: a missing object is ``FileNotFoundError``,
  refused credentials ``PermissionError``, an unreachable endpoint ``ConnectionError``, a
  malformed or unsupported URL ``ValueError``. Credentials never appear in a message, and
  the client's own exception (which may carry request details) is not chained.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

__all__ = ["atomic_file", "download", "is_remote", "parse", "shown", "upload"]

#: Seconds to wait for a connection, and for data, before giving up on an endpoint.
TIMEOUTS = (5.0, 60.0)
_REFUSED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
            "InvalidToken", "ExpiredToken"}
_MISSING = {"NoSuchKey", "NoSuchObject"}


def is_remote(url: Any) -> bool:
    """Whether ``url`` names a remote location (a scheme other than ``file``)."""
    if not isinstance(url, str):
        return False
    scheme = urlparse(url).scheme
    return len(scheme) > 1 and scheme != "file"


@dataclass(frozen=True)
class RemoteURL:
    """A parsed remote model URL."""

    url: str
    scheme: str
    bucket: str = ""
    key: str = ""

    @property
    def name(self) -> str:
        """The last part of the path: the file name the object is known by."""
        return os.path.basename(urlparse(self.url).path.rstrip("/"))


def parse(url: str, *, upload: bool = False, folder: bool = False) -> RemoteURL:
    """Check ``url`` and split it; ``ValueError`` naming it when it cannot be used.
    With ``folder``, a URL naming a folder (``s3://bucket/models/``) is accepted too.
    """
    parts = urlparse(url)
    scheme = parts.scheme.lower()
    named = shown(url)
    if scheme == "s3":
        key = parts.path.lstrip("/")
        if not parts.netloc or (not folder and (not key or key.endswith("/"))):
            raise ValueError(f"model_url {named!r} is not a usable S3 URL: expected "
                             "s3://bucket/path/to/model-file")
        return RemoteURL(url, scheme, parts.netloc, key)
    if scheme in ("http", "https"):
        if upload:
            raise ValueError(f"model_url {named!r}: http(s) URLs are download-only; save to an "
                             "s3://bucket/key URL or a local path instead")
        if not parts.netloc or (not folder and not parts.path.strip("/")):
            raise ValueError(f"model_url {named!r} is not a usable URL: expected "
                             "http(s)://host/path/to/model-file")
        return RemoteURL(url, scheme)
    raise ValueError(f"model_url {named!r} has an unsupported scheme {parts.scheme!r}: use a "
                     "local path, s3://bucket/key, or http(s):// (download only)")


def _endpoint() -> tuple[str, bool, str]:
    """``(host[:port], secure, printable endpoint)`` from ``S3_ENDPOINT_URL``."""
    raw = os.getenv("S3_ENDPOINT_URL") or "http://s3.amazonaws.com"
    if not raw.startswith(("http://", "https://")):
        raw = "https://" + raw  # Sedna's rule: an endpoint without a scheme is https
    parts = urlparse(raw)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return netloc, parts.scheme == "https", f"{parts.scheme}://{netloc}"


def _client(url: str) -> tuple[Any, str]:
    """A minio client for Sedna's S3 settings, and the endpoint to name in errors."""
    try:
        import minio
        import urllib3
    except ImportError:
        raise ImportError(f"model_url {url!r} is an s3:// URL, which needs the minio client: "
                          "pip install 'sedna-conformance[remote]'") from None
    netloc, secure, shown = _endpoint()
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=TIMEOUTS[0], read=TIMEOUTS[1]),
        retries=urllib3.Retry(total=2, backoff_factor=0.2, raise_on_status=False))
    client = minio.Minio(netloc, access_key=os.getenv("ACCESS_KEY_ID") or None,
                         secret_key=os.getenv("SECRET_ACCESS_KEY") or None, secure=secure,
                         http_client=http)
    return client, shown


def shown(url: str) -> str:
    """``url`` as messages print it: without user info or query (which may hold credentials,
    as a presigned URL does).
    """
    parts = urlparse(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return parts._replace(netloc=netloc, query="", params="", fragment="").geturl() \
        if (parts.username or parts.password or parts.query) else url


def _s3_error(error: Exception, url: str, action: str, endpoint: str) -> Exception:
    """The error to raise for ``error`` from the client: it names the URL, never a secret."""
    import urllib3

    code = getattr(error, "code", None)
    if code == "NoSuchBucket":
        return FileNotFoundError(f"{action} {url} failed: {endpoint} has no bucket "
                                 f"{urlparse(url).netloc!r} ({code})")
    if code in _MISSING:
        return FileNotFoundError(f"no object at {url} ({code} from {endpoint})")
    if code in _REFUSED:
        return PermissionError(
            f"{action} {url} was refused by {endpoint} ({code}): check ACCESS_KEY_ID and "
            "SECRET_ACCESS_KEY (the job's S3 Secret) and the bucket's policy")
    if code is not None:
        return OSError(f"{action} {url} failed: {endpoint} answered {code}")
    if isinstance(error, ValueError):  # the client refused the bucket or key name
        return ValueError(f"model_url {url!r} is not a usable S3 URL ({error})")
    if isinstance(error, (urllib3.exceptions.HTTPError, ConnectionError, TimeoutError)):
        return ConnectionError(
            f"{action} {url} failed: the S3 endpoint {endpoint} (S3_ENDPOINT_URL) could not "
            f"be reached or closed the connection ({type(error).__name__}); check that it is "
            "up and the address is right")
    status = getattr(error, "status_code", None) or getattr(error, "_code", None)
    return OSError(f"{action} {url} failed: {endpoint} gave an unusable answer "
                   f"({type(error).__name__}{f', HTTP {status}' if status else ''})")


def upload(path: str, url: str) -> str:
    """Upload the file at ``path`` to the ``s3://`` ``url`` as one object; return ``url``."""
    where = parse(url, upload=True)
    client, endpoint = _client(url)
    try:
        client.fput_object(where.bucket, where.key, path)
    except Exception as error:  # the client's errors, translated below
        raise _s3_error(error, url, "uploading to", endpoint) from None
    return url


def download(url: str, destination: str) -> str:
    """Fetch ``url`` into ``destination`` (replaced atomically); return ``destination``."""
    where = parse(url)
    with atomic_file(destination) as out:
        if where.scheme == "s3":
            _fetch_s3(where, out)
        else:
            _fetch_http(where, out)
    return destination


@contextlib.contextmanager
def atomic_file(destination: str) -> Iterator[Any]:
    """A binary file to write that replaces ``destination`` only once the body completes
    (a temporary file beside it, fsync, ``os.replace``); if the body raises, nothing
    changes and the temporary file is removed.
    """
    folder = os.path.dirname(os.path.abspath(destination))
    os.makedirs(folder, exist_ok=True)
    handle, partial = tempfile.mkstemp(prefix=f".{os.path.basename(destination)}.",
                                       suffix=".part", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, destination)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(partial)
        raise


def _copy(source: Any, out: Any, expected: int | None) -> int:
    """Copy ``source`` into ``out``; only reading can raise a network error. Returns the
    bytes read, or raises ``EOFError`` when fewer than ``expected`` came.
    """
    received = 0
    while True:
        block = source.read(1 << 20)
        if not block:
            break
        received += len(block)
        try:
            out.write(block)
        except OSError as error:  # a local failure (disk full, ...), not the network's
            raise _LocalWriteError(error) from error
    if expected is not None and received < expected:
        raise EOFError(f"{received} of {expected} bytes")
    return received


class _LocalWriteError(Exception):
    """Writing the downloaded bytes locally failed (carries the ``OSError``)."""


def _fetch_s3(where: RemoteURL, out: Any) -> None:
    client, endpoint = _client(where.url)
    try:
        response = client.get_object(where.bucket, where.key)
        try:
            length = response.headers.get("Content-Length")
            _copy(response, out, int(length) if length else None)
        finally:
            response.close()
            response.release_conn()
    except _LocalWriteError as error:
        raise error.__cause__ from None  # type: ignore[misc]
    except EOFError as error:
        raise ConnectionError(f"downloading {where.url} failed: the connection to {endpoint} "
                              f"closed early ({error})") from None
    except Exception as error:
        raise _s3_error(error, where.url, "downloading", endpoint) from None


def _fetch_http(where: RemoteURL, out: Any) -> None:
    url = shown(where.url)
    try:
        with urllib.request.urlopen(where.url, timeout=TIMEOUTS[1]) as response:
            length = response.headers.get("Content-Length")
            _copy(response, out, int(length) if length else None)
    except _LocalWriteError as error:
        raise error.__cause__ from None  # type: ignore[misc]
    except urllib.error.HTTPError as error:
        if error.code in (404, 410):
            raise FileNotFoundError(f"no file at {url} (HTTP {error.code})") from None
        if error.code in (401, 403):
            raise PermissionError(f"downloading {url} was refused (HTTP "
                                  f"{error.code})") from None
        raise OSError(f"downloading {url} failed: HTTP {error.code}") from None
    except http.client.InvalidURL:
        raise ValueError(f"model_url {url!r} is not a usable URL") from None
    except EOFError as error:
        raise ConnectionError(f"downloading {url} failed: the connection closed early "
                              f"({error})") from None
    except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
        raise ConnectionError(f"downloading {url} failed: the server could not be "
                              f"reached or closed the connection ({type(error).__name__})"
                              ) from None
