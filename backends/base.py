"""``BackendBase``: Sedna's backend base class, with upstream's known bugs fixed.

Same constructor, attributes, ``model_name`` rule and methods as
``sedna.backend.base.BackendBase`` (see ``docs``/the contract page), except that:

* :meth:`parse_kwargs` forwards keyword-only parameters and any ``**`` catch-all;
* ``train``/``update`` work for ``fit``-only estimators;
* a callable estimator *instance* is never called (only classes are instantiated);
* ``load`` of a missing model raises ``FileNotFoundError`` naming the path;
* ``save`` returns the path of the file actually written;
* ``has_load`` never stops a later ``load`` of another model;
* the default ``model_save_path`` is a private temporary folder, not a shared ``/tmp``;
* ``fine_tune=True`` with a model at ``model_save_path`` starts training from it (as
  upstream's TensorFlow and Keras backends do), and a ``train`` that raises leaves the
  model as it was;
* ``load_weights()`` loads the model at ``model_save_path``/``model_name``;
* remote URLs (``s3://``, ``http(s)://`` for downloads; :mod:`.remote`) are whole-or-absent
  and leave the local model and files as they were when they fail.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlparse

from sedna_conformance.backends import remote

__all__ = ["MODEL_SUFFIXES", "BackendBase"]

#: File suffix of a default model name, by ``framework`` (Sedna's rule; TinyMS writes
#: MindSpore checkpoints). Any other framework gets ``.pkl``.
MODEL_SUFFIXES: dict[str, str] = {
    "pytorch": ".pth",
    "tensorflow": ".pb",
    "keras": ".pb",
    "mindspore": ".ckpt",
    "tinyms": ".ckpt",
}


class BackendBase:
    """Wrap a user's estimator for Sedna's jobs.

    ``estimator`` is a class (instantiated with no arguments) or an instance (used as
    given, never called). Keyword arguments: ``model_save_path`` (folder or file; default
    a private temporary folder), ``model_name``, ``use_cuda``, ``use_npu``; any other
    keyword (``model_save_url``, ...) is accepted and kept in ``self.options``.

    ``model_url`` (and ``model_save_path``) may be remote, as in Sedna's deployments:
    ``save`` uploads to an ``s3://`` URL and returns it; ``load`` downloads from ``s3://``
    or ``http(s)://`` into the model folder (a private one when ``model_save_path`` is
    remote), loading it before it replaces the local file; training fine-tunes from a
    remote ``model_save_path`` too. S3 settings come from Sedna's ``S3_ENDPOINT_URL``,
    ``ACCESS_KEY_ID`` and ``SECRET_ACCESS_KEY``.
    """

    framework = ""

    def __init__(self, estimator: Any, fine_tune: bool = True, **kwargs: Any) -> None:
        self.estimator = estimator
        self.use_cuda = bool(kwargs.pop("use_cuda", False))
        self.use_npu = bool(kwargs.pop("use_npu", False))
        self.fine_tune = fine_tune
        save_path = kwargs.pop("model_save_path", None)
        self.model_save_path: str = save_path or tempfile.mkdtemp(prefix="sedna-model-")
        self.default_name: str | None = kwargs.pop("model_name", None)
        self.has_load: bool = False
        self.options: dict[str, Any] = kwargs
        self._private_folder: str | None = None  # the local model folder of a remote one
        if self.use_cuda and not self.gpu_visible():
            warnings.warn(f"use_cuda=True, but {self.framework or 'this backend'} sees no GPU "
                          "here: the model runs on the CPU", RuntimeWarning, stacklevel=2)

    def gpu_visible(self) -> bool:
        """Whether the framework sees a GPU in this process (the generic backend: never)."""
        return False

    # -- naming ---------------------------------------------------------------------
    @property
    def model_name(self) -> str:
        """``default_name`` if set, else ``model[_finetune_]<framework><suffix>``."""
        if self.default_name:
            return self.default_name
        suffix = MODEL_SUFFIXES.get(self.framework, ".pkl")
        return f"model{'_finetune_' if self.fine_tune else ''}{self.framework}{suffix}"

    @staticmethod
    def parse_kwargs(func: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
        """Keep the ``kwargs`` that ``func`` accepts; all of them if it takes ``**``."""
        try:
            params = inspect.signature(func).parameters.values()
        except (TypeError, ValueError):
            return dict(kwargs)
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return dict(kwargs)
        accepted = {p.name for p in params
                    if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        return {k: v for k, v in kwargs.items() if k in accepted}

    # -- estimator access -------------------------------------------------------------
    def _instance(self) -> Any:
        """The estimator instance, instantiating a class estimator once."""
        if isinstance(self.estimator, type):
            self.estimator = self.estimator()
        return self.estimator

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        func = getattr(self._instance(), method, None)
        if func is None:
            raise AttributeError(f"estimator {type(self._instance()).__name__} has no "
                                 f"{method}() method; implement it to use "
                                 f"{type(self).__name__}.{method}()")
        return func(*args, **self.parse_kwargs(func, **kwargs))

    def _fit_method(self, *names: str) -> Callable[..., Any]:
        estimator = self._instance()
        for name in names:
            func = getattr(estimator, name, None)
            if func is not None:
                return func  # type: ignore[no-any-return]
        raise AttributeError(f"estimator {type(estimator).__name__} has none of "
                             f"{', '.join(n + '()' for n in names)}")

    # -- the Sedna API ----------------------------------------------------------------
    def train(self, *args: Any, **kwargs: Any) -> Any:
        """Train through the estimator's ``fit`` or, failing that, ``train``.

        With ``fine_tune``, a model file at ``model_save_path`` and an estimator with
        ``save`` and ``load``, training starts from that file; if it then raises, the
        estimator's own model is loaded back (from a snapshot its ``save`` wrote into a
        private temporary folder) before the error propagates.
        """
        func = self._fit_method("fit", "train")
        checkpoint = self._fine_tune_checkpoint()
        if checkpoint is None:
            result = func(*args, **self.parse_kwargs(func, **kwargs))
        else:
            with self._restored_on_error():
                self._call("load", model_url=checkpoint)
                result = func(*args, **self.parse_kwargs(func, **kwargs))
        self.has_load = True
        return result

    def _fine_tune_checkpoint(self) -> str | None:
        """The model file to fine-tune from, if training should start from one."""
        estimator = self._instance()
        if not (self.fine_tune and callable(getattr(estimator, "load", None))
                and callable(getattr(estimator, "save", None))):
            return None
        return self.base_model_file()

    def base_model_file(self) -> str | None:
        """The model file at ``model_save_path``/``model_name`` (downloaded into the
        private model folder first when ``model_save_path`` is remote), or ``None``.
        """
        if remote.is_remote(self.model_save_path):
            where = remote.parse(self._remote_url(self.model_save_path, None))
            destination = os.path.join(self._local_folder(), self._local_name(where.name))
            try:
                return remote.download(where.url, destination)
            except FileNotFoundError:
                return None
        try:
            return self.resolve_existing()
        except (FileNotFoundError, ValueError):  # nothing there yet
            return None

    @contextlib.contextmanager
    def _restored_on_error(self) -> Iterator[None]:
        """Snapshot the estimator's model through its ``save``; load it back if the body
        raises.
        """
        folder = tempfile.mkdtemp(prefix="sedna-snapshot-")
        try:
            self._call("save", os.path.join(folder, self.model_name))
            snapshot = [os.path.join(folder, name) for name in sorted(os.listdir(folder))]
            had_load = self.has_load
            try:
                yield
            except BaseException:
                if snapshot:
                    self._call("load", model_url=snapshot[0])
                self.has_load = had_load
                raise
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def update(self, *args: Any, **kwargs: Any) -> Any:
        """Update through the estimator's ``update``, falling back to ``fit``/``train``."""
        func = self._fit_method("update", "fit", "train")
        return func(*args, **self.parse_kwargs(func, **kwargs))

    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """Delegate to ``estimator.predict``."""
        return self._call("predict", *args, **kwargs)

    def predict_proba(self, *args: Any, **kwargs: Any) -> Any:
        """Delegate to ``estimator.predict_proba``."""
        return self._call("predict_proba", *args, **kwargs)

    def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        """Delegate to ``estimator.evaluate``."""
        return self._call("evaluate", *args, **kwargs)

    # -- files ------------------------------------------------------------------------
    def model_path(self, model_url: str = "", model_name: str | None = None) -> str:
        """The local file a ``save``/``load`` with these arguments refers to.

        ``model_url`` wins: a folder (existing, or ending in a separator) gets
        ``model_name`` appended; anything else is the file itself. Without it,
        ``model_save_path`` is used the same way.
        """
        name = _checked_name(model_name or self.model_name)
        target = model_url or self.model_save_path
        if remote.is_remote(target):
            raise ValueError(f"{target!r} is remote: save() and load() handle remote URLs; "
                             "model_path() names local files only")
        target = os.fspath(target)
        if os.path.isdir(target) or target.endswith(os.sep) or not os.path.splitext(target)[1]:
            return os.path.join(target, name)
        return target

    def save(self, model_url: str = "", model_name: str | None = None) -> str:
        """Save the model; return the path actually written, or the ``s3://`` URL it was
        uploaded to (written into a private folder first, uploaded as one object).
        """
        target = model_url or self.model_save_path
        if not remote.is_remote(target):
            return self._save_local(model_url, model_name)
        where = remote.parse(self._remote_url(target, model_name), upload=True)
        folder = tempfile.mkdtemp(prefix="sedna-upload-")
        try:
            written = self._save_local(os.path.join(folder, where.name), None)
            return remote.upload(written, where.url)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _save_local(self, model_url: str, model_name: str | None) -> str:
        """Save to a local path through ``estimator.save(path)``; the path written."""
        path = self.model_path(model_url, model_name)
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        before = {p: _mtime(p) for p in self._written_candidates(path)}
        self._call("save", path)
        for candidate in self._written_candidates(path):
            if os.path.isfile(candidate) and _mtime(candidate) != before.get(candidate):
                return candidate
        for candidate in self._written_candidates(path):
            if os.path.isfile(candidate):
                return candidate
        raise RuntimeError(f"estimator.save({path!r}) wrote no file at {path!r}")

    def _remote_url(self, target: str, model_name: str | None) -> str:
        """``target`` itself, or with the model name appended when it names a folder: when
        it ends with ``/``, or it is ``model_save_path`` and has no extension (Sedna's
        ``MODEL_URL`` is the job's output folder).
        """
        remote.parse(target, folder=True)
        name = _checked_name(model_name or self.model_name)
        folder = target.endswith("/") or (
            target == self.model_save_path and not os.path.splitext(urlparse(target).path)[1])
        return target.rstrip("/") + "/" + name if folder else target

    def _local_name(self, name: str) -> str:
        """The local file name a downloaded model ``name`` is kept under."""
        return name

    def _local_folder(self) -> str:
        """The local model folder: where ``model_path()`` puts the model, or a private
        folder when ``model_save_path`` is remote.
        """
        if not remote.is_remote(self.model_save_path):
            return os.path.dirname(self.model_path()) or "."
        if self._private_folder is None:
            self._private_folder = tempfile.mkdtemp(prefix="sedna-model-")
        return self._private_folder

    def _written_candidates(self, path: str) -> list[str]:
        """Where a save to ``path`` may have landed (frameworks append suffixes)."""
        suffix = MODEL_SUFFIXES.get(self.framework)
        candidates = [path]
        if suffix and not path.endswith(suffix):
            candidates.append(path + suffix)
        return candidates

    def resolve_existing(self, model_url: str = "", model_name: str | None = None) -> str:
        """The existing file a ``load`` refers to, or ``FileNotFoundError`` naming it."""
        path = self.model_path(model_url, model_name)
        for candidate in self._written_candidates(path):
            if os.path.isfile(candidate):
                return candidate
        raise FileNotFoundError(f"no model file at {path!r} (model_url={model_url!r}, "
                                f"model_save_path={self.model_save_path!r}); "
                                "train and save a model first, or pass an existing path")

    def load(self, model_url: str = "", model_name: str | None = None, **kwargs: Any) -> None:
        """Load the model; a missing file raises. A remote one is downloaded into the model
        folder, loaded, and only then replaces the local file of its name.
        """
        target = model_url or self.model_save_path
        if not remote.is_remote(target):
            self._load_local(self.resolve_existing(model_url, model_name), **kwargs)
            return
        where = remote.parse(self._remote_url(target, model_name))
        staging = tempfile.mkdtemp(prefix="sedna-download-")
        try:
            name = self._local_name(where.name)
            downloaded = remote.download(where.url, os.path.join(staging, name))
            self._load_local(downloaded, **kwargs)
            self._keep_copy(downloaded, os.path.join(self._local_folder(), name), where.url)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    @staticmethod
    def _keep_copy(downloaded: str, path: str, url: str) -> None:
        """Replace ``path`` with the loaded download (atomically); a model folder that
        cannot take it (read-only on an inference worker) only gets a warning.
        """
        try:
            with open(downloaded, "rb") as source, remote.atomic_file(path) as out:
                shutil.copyfileobj(source, out)
        except OSError as error:
            warnings.warn(f"the model from {remote.shown(url)} is loaded, but keeping a copy "
                          f"at {path!r} failed: {error}", stacklevel=3)

    def _load_local(self, path: str, **kwargs: Any) -> None:
        """Load the existing local file ``path`` through ``estimator.load(model_url=path)``."""
        self._call("load", model_url=path, **kwargs)
        self.has_load = True

    def load_weights(self) -> None:
        """Load the model at ``model_save_path``/``model_name``."""
        self.load()

    def model_info(self, model: str, relpath: str | None = None,
                   result: Any = None) -> list[dict[str, Any]]:
        """Describe ``model`` as Sedna's jobs report it: format, url and metrics."""
        _, ext = os.path.splitext(model)
        url = model
        if relpath:
            url = os.path.relpath(model, relpath)
        return [{"format": ext[1:], "url": url, "metrics": result}]

    def get_weights(self) -> Any:
        """Not supported by the base backend."""
        raise NotImplementedError(f"{type(self).__name__} does not implement get_weights()")

    def set_weights(self, weights: Any) -> None:
        """Not supported by the base backend."""
        raise NotImplementedError(f"{type(self).__name__} does not implement set_weights()")


def _checked_name(name: Any) -> str:
    """``name`` if it is a plain file name; ``ValueError`` naming it otherwise."""
    if (not isinstance(name, str) or "\x00" in name or os.path.isabs(name)
            or os.sep in name or "/" in name or name in (".", "..")):
        raise ValueError(f"model_name must be a plain file name inside model_save_path "
                         f"(no folders, '..', absolute paths or NUL bytes), got {name!r}")
    return name


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None
