"""The mutant zoo: for every clause, a deliberately broken backend that it must catch.

Each mutant is a subclass of our ``MSBackend`` (or, for ``set_backend.*``, a broken
``set_backend``) that breaks one behaviour. :func:`mutant_profiles` builds one profile
per mutant on the fast zoo base (``tests.profiles.zoo_base``); ``tests/test_mutant_zoo.py``
runs them all and checks that each is flagged by exactly its clause.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from sedna_conformance.backends import BackendBase, MSBackend, remote
from sedna_conformance.backends.checkpoint import write_checkpoint
from sedna_conformance.backends.registry import backend_class
from sedna_conformance.backends.weights import check_weights
from sedna_conformance.harness import Profile


def _upstream_parse_kwargs(func: Callable[..., Any], **kwargs: Any) -> dict[str, Any]:
    """Sedna upstream's filter: positional names only; catch-all only if named kwargs."""
    import inspect

    spec = inspect.getfullargspec(func)
    if spec.varkw == "kwargs":
        return kwargs
    return {k: v for k, v in kwargs.items() if k in spec.args}


_PREDICTION_CACHE: dict[Any, Any] = {}


def _perturb(backend: MSBackend) -> None:
    access = backend._weights()
    arrays = access.get()
    arrays[-1] = arrays[-1] + np.float32(0.01)
    access.set(arrays)


class _Mutants:
    """Namespace of the method overrides; one entry per clause id in MUTANTS below."""

    # -- construct ------------------------------------------------------------------
    @staticmethod
    def never_instantiates(self: MSBackend) -> Any:
        return self.estimator

    @staticmethod
    def calls_callable_instance(self: MSBackend, estimator: Any, fine_tune: bool = True,
                                **kwargs: Any) -> None:
        if callable(estimator) and not isinstance(estimator, type):
            estimator = estimator()
        MSBackend.__init__(self, estimator, fine_tune, **kwargs)

    @staticmethod
    def rebuilds_instance(self: MSBackend, estimator: Any, fine_tune: bool = True,
                          **kwargs: Any) -> None:
        if not isinstance(estimator, type):
            estimator = type(estimator)()
        MSBackend.__init__(self, estimator, fine_tune, **kwargs)

    @staticmethod
    def rejects_unknown_kwargs(self: MSBackend, estimator: Any, fine_tune: bool = True,
                               **kwargs: Any) -> None:
        unknown = set(kwargs) - {"model_save_path", "model_name", "mode", "use_cuda",
                                 "use_npu"}
        if unknown:
            raise TypeError(f"unexpected keyword arguments {sorted(unknown)}")
        MSBackend.__init__(self, estimator, fine_tune, **kwargs)

    @staticmethod
    def clears_shared_cache(self: MSBackend, estimator: Any, fine_tune: bool = True,
                            **kwargs: Any) -> None:
        _PREDICTION_CACHE.clear()
        MSBackend.__init__(self, estimator, fine_tune, **kwargs)

    @staticmethod
    def shape_cached_predict(self: MSBackend, data: Any, **kwargs: Any) -> Any:
        array = np.ascontiguousarray(data)
        key = (array.shape, array.dtype.str, array.tobytes())  # by content, not by backend
        if key not in _PREDICTION_CACHE:
            _PREDICTION_CACHE[key] = MSBackend.predict(self, data, **kwargs)
        return _PREDICTION_CACHE[key]

    @staticmethod
    def invalidating(method: str) -> Callable[..., Any]:
        def call(self: MSBackend, *args: Any, **kwargs: Any) -> Any:
            _PREDICTION_CACHE.clear()
            return getattr(MSBackend, method)(self, *args, **kwargs)
        return call


def _ignores_use_cuda(self: MSBackend, estimator: Any, fine_tune: bool = True,
                      **kwargs: Any) -> None:
    """Keeps ``use_cuda`` as an attribute and does nothing with it: no GPU, no warning."""
    use_cuda = bool(kwargs.pop("use_cuda", False))
    MSBackend.__init__(self, estimator, fine_tune, **kwargs)
    self.use_cuda = use_cuda


def _subclass(name: str, **methods: Any) -> type:
    return type(name, (MSBackend,), {"__module__": __name__, **methods})


def _train_then(after: Callable[[MSBackend, Any], Any]) -> Callable[..., Any]:
    def train(self: MSBackend, train_data: Any, valid_data: Any = None, **kwargs: Any) -> Any:
        return after(self, MSBackend.train(self, train_data, valid_data, **kwargs))
    return train


def _delegate_on_copy(self: MSBackend, method: str, *args: Any, **kwargs: Any) -> Any:
    if method != "train":
        return MSBackend._delegate(self, method, *args, **kwargs)
    access = self._weights()
    saved = access.get()
    try:
        return MSBackend._delegate(self, method, *args, **kwargs)
    finally:
        access.set(saved)


def _shuffled_labels(self: MSBackend, train_data: Any, valid_data: Any = None,
                     **kwargs: Any) -> Any:
    if not hasattr(train_data, "y") or np.asarray(train_data.y).ndim != 1:
        return MSBackend.train(self, train_data, valid_data, **kwargs)
    y = np.random.default_rng(1).permutation(np.asarray(train_data.y))
    return MSBackend.train(self, (np.asarray(train_data.x), y), valid_data, **kwargs)


def _valid_required(self: MSBackend, train_data: Any, valid_data: Any = None,
                    **kwargs: Any) -> Any:
    if valid_data is None:
        raise TypeError("valid_data is required")
    return MSBackend.train(self, train_data, valid_data, **kwargs)


def _random_seed(self: MSBackend, train_data: Any, valid_data: Any = None,
                 **kwargs: Any) -> Any:
    kwargs["seed"] = int.from_bytes(os.urandom(2), "little")
    return MSBackend.train(self, train_data, valid_data, **kwargs)


def _always_fine_tune(self: MSBackend, train_data: Any, valid_data: Any = None,
                      **kwargs: Any) -> Any:
    fine_tune, self.fine_tune = self.fine_tune, True
    try:
        return MSBackend.train(self, train_data, valid_data, **kwargs)
    finally:
        self.fine_tune = fine_tune


def _forget_has_load(self: MSBackend, result: Any) -> Any:
    self.has_load = False
    return result


def _numpy_metrics(self: MSBackend, result: Any) -> Any:
    return {k: np.float32(v) for k, v in result.items()}


# -- predict -----------------------------------------------------------------------
def _predict_then(change: Callable[[MSBackend, Any, Any], Any]) -> Callable[..., Any]:
    def predict(self: MSBackend, data: Any, **kwargs: Any) -> Any:
        return change(self, data, MSBackend.predict(self, data, **kwargs))
    return predict


def _drop_row_when_odd(self: MSBackend, data: Any, out: Any) -> Any:
    return out[:-1] if len(out) >= 3 and len(out) % 2 else out


def _infinite_max(self: MSBackend, data: Any, out: Any) -> Any:
    out = np.array(out, copy=True)
    out[-1, out[-1].argmax()] = np.inf
    return out


def _jitter(self: MSBackend, data: Any, out: Any) -> Any:
    return out + 1e-7 * np.random.default_rng().standard_normal(np.shape(out))


def _batch_dependent(self: MSBackend, data: Any, out: Any) -> Any:
    return out - 0.01 * float(np.mean(out))


def _drifts(self: MSBackend, data: Any, out: Any) -> Any:
    _perturb(self)
    return out


def _zeroes_input(self: MSBackend, data: Any, out: Any) -> Any:
    if isinstance(data, np.ndarray):
        data[...] = 0
    return out


def _no_kwargs_predict(self: MSBackend, data: Any) -> Any:
    return MSBackend.predict(self, data)


# -- evaluate ----------------------------------------------------------------------
def _evaluate_then(change: Callable[[MSBackend, Any], Any]) -> Callable[..., Any]:
    def evaluate(self: MSBackend, data: Any, model_path: str | None = None, **kwargs: Any) -> Any:
        return change(self, MSBackend.evaluate(self, data, model_path=model_path, **kwargs))
    return evaluate


def _rolled_labels(self: MSBackend, data: Any, model_path: str | None = None,
                   **kwargs: Any) -> Any:
    if not hasattr(data, "y") or np.asarray(data.y).ndim != 1:
        return MSBackend.evaluate(self, data, model_path=model_path, **kwargs)
    rolled = (np.asarray(data.x), np.roll(np.asarray(data.y), 1))
    return MSBackend.evaluate(self, rolled, model_path=model_path, **kwargs)


def _ignores_model_path(self: MSBackend, data: Any, model_path: str | None = None,
                        **kwargs: Any) -> Any:
    return MSBackend.evaluate(self, data, **kwargs)


def _evaluate_drifts(self: MSBackend, result: Any) -> Any:
    _perturb(self)
    return result


# -- save / load -------------------------------------------------------------------
def _save_returns_folder(self: MSBackend, model_url: str = "",
                         model_name: str | None = None) -> str:
    path = MSBackend.save(self, model_url, model_name)
    return os.path.dirname(path)


def _save_returns_requested(self: MSBackend, model_url: str = "",
                            model_name: str | None = None) -> str:
    MSBackend.save(self, model_url, model_name)
    return self.model_path(model_url, model_name)


def _save_elsewhere(self: MSBackend, model_url: str = "", model_name: str | None = None) -> str:
    return MSBackend.save(self, tempfile.mkdtemp(prefix="mutant-") + os.sep, model_name)


def _save_without_makedirs(self: MSBackend, model_url: str = "",
                           model_name: str | None = None) -> str:
    folder = os.path.dirname(self.model_path(model_url, model_name))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"no folder {folder!r}")
    return MSBackend.save(self, model_url, model_name)


def _save_once(self: MSBackend, model_url: str = "", model_name: str | None = None) -> str:
    path = self.model_path(model_url, model_name)
    for candidate in (path, path + ".ckpt"):
        if os.path.isfile(candidate):
            return candidate
    return MSBackend.save(self, model_url, model_name)


def _save_drops_last(self: MSBackend, model_url: str = "", model_name: str | None = None) -> str:
    access = self._weights()
    return write_checkpoint(self.model_path(model_url, model_name), access.names[:-1],
                            access.get()[:-1])


def _load_ignores_positional(self: MSBackend, *args: Any, model_url: str = "",
                             model_name: str | None = None, **kwargs: Any) -> None:
    MSBackend.load(self, model_url=model_url, model_name=model_name, **kwargs)


def _load_once(self: MSBackend, model_url: str = "", model_name: str | None = None,
               **kwargs: Any) -> None:
    if self.has_load:
        return
    MSBackend.load(self, model_url, model_name, **kwargs)


def _load_silent_when_missing(self: MSBackend, model_url: str = "",
                              model_name: str | None = None, **kwargs: Any) -> None:
    try:
        MSBackend.load(self, model_url, model_name, **kwargs)
    except FileNotFoundError:
        self.has_load = True


def _noop(self: MSBackend, *args: Any, **kwargs: Any) -> None:
    return None


# -- weights -----------------------------------------------------------------------
def _toggling_order(self: MSBackend) -> list[Any]:
    calls = self.__dict__.setdefault("_mutant_calls", [0])
    calls[0] += 1
    weights = MSBackend.get_weights(self)
    return weights[::-1] if calls[0] % 2 == 0 else weights


def _shared_list(self: MSBackend) -> list[Any]:
    cache = self.__dict__.setdefault("_mutant_list", [])
    cache[:] = MSBackend.get_weights(self)
    return cache  # type: ignore[no-any-return]


def _float16_set(self: MSBackend, weights: Any) -> None:
    MSBackend.set_weights(self, [np.asarray(w, np.float16).astype(np.float32) for w in weights])


def _arrays_get(self: MSBackend) -> list[Any]:
    return [np.asarray(w, np.float32) for w in MSBackend.get_weights(self)]


def _get_all_but_last(self: MSBackend) -> list[Any]:
    return MSBackend.get_weights(self)[:-1]


def _set_all_but_last(self: MSBackend, weights: Any) -> None:
    access = self._weights()
    current = access.get()
    checked = check_weights(list(weights), current[:-1], access.names[:-1])
    access.set([*checked, current[-1]])


def _set_truncating(self: MSBackend, weights: Any) -> None:
    access = self._weights()
    current = access.get()
    given = list(weights)[:len(current)]
    MSBackend.set_weights(self, given + [c.tolist() for c in current[len(given):]])


def _set_one_by_one(self: MSBackend, weights: Any) -> None:
    access = self._weights()
    current = access.get()
    if len(weights) != len(current):
        raise ValueError(f"weights must hold {len(current)} arrays")
    for i, (given, ref) in enumerate(zip(weights, current, strict=True)):
        array = np.asarray(given, ref.dtype)
        if array.shape != ref.shape:
            raise ValueError(f"weights[{i}] has shape {array.shape}, expected {ref.shape}")
        current[i] = array
        access.set(current)


def _set_float32_only(self: MSBackend, weights: Any) -> None:
    for w in weights:
        if isinstance(w, np.ndarray) and w.dtype != np.float32:
            raise TypeError(f"weights must be float32 arrays, got {w.dtype}")
    MSBackend.set_weights(self, weights)


# -- robust ------------------------------------------------------------------------
def _swallowing(method: str, fallback: Callable[[Any], Any]) -> Callable[..., Any]:
    def call(self: MSBackend, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(MSBackend, method)(self, *args, **kwargs)
        except (ValueError, TypeError):
            data = args[0] if args else next(iter(kwargs.values()), None)
            return fallback(data)
    return call


def _zeros_like_rows(data: Any) -> Any:
    return np.zeros((len(data) if hasattr(data, "__len__") else 0, 3), np.float32)


def _reloading(method: str) -> Callable[..., Any]:
    def call(self: MSBackend, data: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(MSBackend, method)(self, data, *args, **kwargs)
        except (ValueError, TypeError):
            try:
                self.load()  # "reset to the stored model" after a failure
            except FileNotFoundError:
                pass
            raise
    return call


def _fine_tune_before_validating(self: MSBackend, train_data: Any, valid_data: Any = None,
                                 **kwargs: Any) -> Any:
    if self.fine_tune:
        self.finetune()
    result = self._delegate("train", train_data=train_data, valid_data=valid_data, **kwargs)
    self.has_load = True
    return result


def _refuses_float64(self: MSBackend, data: Any, **kwargs: Any) -> Any:
    if isinstance(data, np.ndarray) and data.dtype == np.float64:
        raise TypeError("data must be float32")
    return MSBackend.predict(self, data, **kwargs)


# -- ckpt ----------------------------------------------------------------------------
def _load_partial(self: MSBackend, model_url: str = "", model_name: str | None = None,
                  **kwargs: Any) -> None:
    """Loads whatever matches by name and shape, like load_param_into_net(strict=False)."""
    from sedna_conformance.backends.checkpoint import read_checkpoint

    path = self.resolve_existing(model_url, model_name)
    stored = read_checkpoint(path)
    access = self._weights()
    current = access.get()
    for i, name in enumerate(access.names):
        if name in stored and stored[name].shape == current[i].shape:
            current[i] = stored[name]
    access.set(current)
    self.has_load = True


def _ms_save(names: Any, arrays: Any, path: str, crc: bool) -> str:
    import mindspore
    from mindspore import Tensor

    from sedna_conformance.backends.checkpoint import checkpoint_file

    final = checkpoint_file(path)
    os.makedirs(os.path.dirname(final) or ".", exist_ok=True)
    temp = os.path.join(os.path.dirname(final) or ".", f".m{os.getpid()}-{os.urandom(4).hex()}.ckpt")
    entries = [{"name": n, "data": Tensor(a)} for n, a in zip(names, arrays, strict=True)]
    mindspore.save_checkpoint(entries, temp, crc_check=crc)
    os.replace(temp, final)
    return final


def _save_without_crc(self: MSBackend, model_url: str = "", model_name: str | None = None) -> str:
    access = self._weights()
    return _ms_save(access.names, access.get(), self.model_path(model_url, model_name), False)


def _load_without_crc(self: MSBackend, model_url: str = "", model_name: str | None = None,
                      **kwargs: Any) -> None:
    import mindspore

    path = self.resolve_existing(model_url, model_name)
    try:
        stored = {k: v.asnumpy() for k, v in mindspore.load_checkpoint(path).items()}
        access = self._weights()
        arrays = [stored[n] for n in access.names]
    except Exception as error:
        raise ValueError(str(error)) from None
    access.set(check_weights(arrays, access.get(), access.names))
    self.has_load = True


def _load_with_pickle_fallback(self: MSBackend, model_url: str = "",
                               model_name: str | None = None, **kwargs: Any) -> None:
    import pickle

    try:
        return MSBackend.load(self, model_url, model_name, **kwargs)
    except ValueError:
        path = self.resolve_existing(model_url, model_name)
        try:
            with open(path, "rb") as handle:
                pickle.load(handle)  # "legacy model files"
        except Exception:
            pass
        raise


def _save_in_place_slowly(self: MSBackend, model_url: str = "",
                          model_name: str | None = None) -> str:
    """Truncate the final file, serialise, then write it in small, slow chunks.

    The file is incomplete from the truncation to the last chunk, nearly all of each save,
    so a SIGKILL at any moment of a save loop almost surely leaves a broken file. The file
    is whole only between two saves (well under a millisecond): chunks are written 20 ms
    apart so that a save lasts about 0.4 s (at 2 ms apart, a fresh-clone run once saw the
    kill land between saves, about a 2 % chance).
    """
    import time

    access = self._weights()
    final = self.model_path(model_url, model_name)
    target = final if final.endswith(".ckpt") else final + ".ckpt"
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    with open(target, "wb") as handle:
        scratch = tempfile.mkdtemp(prefix="mutant-")
        data = open(_ms_save(access.names, access.get(), os.path.join(scratch, "m"), True),
                    "rb").read()
        for start in range(0, len(data), 2048):
            handle.write(data[start:start + 2048])
            handle.flush()
            time.sleep(0.02)
    return target


def _save_fixed_temp(self: MSBackend, model_url: str = "", model_name: str | None = None) -> str:
    access = self._weights()
    final = self.model_path(model_url, model_name)
    final = final if final.endswith(".ckpt") else final + ".ckpt"
    import mindspore
    from mindspore import Tensor

    os.makedirs(os.path.dirname(final) or ".", exist_ok=True)
    temp = final + ".tmp.ckpt"  # one name for every writer
    entries = [{"name": n, "data": Tensor(a)}
               for n, a in zip(access.names, access.get(), strict=True)]
    mindspore.save_checkpoint(entries, temp, crc_check=True)
    os.replace(temp, final)
    return final


def _save_swallows_permission(self: MSBackend, model_url: str = "",
                              model_name: str | None = None) -> str:
    try:
        return MSBackend.save(self, model_url, model_name)
    except PermissionError:
        return self.model_path(model_url, model_name)


def _model_path_unchecked(self: MSBackend, model_url: str = "",
                          model_name: str | None = None) -> str:
    target = model_url or self.model_save_path
    if os.path.isdir(target) or target.endswith(os.sep) or not os.path.splitext(target)[1]:
        return os.path.join(target, model_name or self.model_name)
    return target


# -- set_backend -------------------------------------------------------------------
def _mutant_set_backend(*, upper: bool = True, use_config: bool = True, env_first: bool = True,
                        fallback: bool = True, none_check: bool = True,
                        base_first: bool = True, cuda: bool = True,
                        fine_tune: bool = True) -> Callable[..., Any]:
    """``sedna_conformance.backends.set_backend`` with one of Sedna's rules switched off."""

    def set_backend(estimator: Any = None, config: dict[str, Any] | None = None) -> Any:
        if estimator is None and none_check:
            return None
        config = dict(config or {})
        env, conf = os.getenv("BACKEND_TYPE"), config.get("backend_type") if use_config else None
        chosen = (env or conf) if env_first else (conf or env)
        backend_type = chosen or "UNKNOWN"
        if upper:
            backend_type = backend_type.upper()
        cls = backend_class(backend_type) if backend_type.upper() == backend_type else None
        if cls is None:
            if not fallback:
                raise ValueError(f"unknown backend type {backend_type}")
            warnings.warn(f"{backend_type} Not Support yet, use itself", stacklevel=2)
            cls = BackendBase
        first, second = ("base_model_url", "model_url") if base_first else \
            ("model_url", "base_model_url")
        extra = {} if fine_tune else {"fine_tune": False}
        return cls(estimator=estimator, use_cuda=bool(os.getenv("CUDA_VISIBLE_DEVICES")) and cuda,
                   **extra,
                   model_save_path=config.get(first) or config.get(second),
                   model_name=config.get("model_name"), model_save_url=config.get("model_url"))

    return set_backend


def _framework(value: str) -> type:
    return _subclass("MutantFramework", framework=value)


def _model_name_without_fine_tune(self: MSBackend) -> str:
    return self.default_name or f"model{self.framework}.ckpt"


def _model_name_ignores_default(self: MSBackend) -> str:
    return f"model{'_finetune_' if self.fine_tune else ''}{self.framework}.ckpt"


# -- sedna jobs and interop ------------------------------------------------------------
def _evaluate_eval_data(self: MSBackend, eval_data: Any, model_path: str | None = None,
                        **kwargs: Any) -> Any:
    return MSBackend.evaluate(self, eval_data, model_path=model_path, **kwargs)


def _squeezes_with_kwargs(self: MSBackend, data: Any, **kwargs: Any) -> Any:
    out = MSBackend.predict(self, data, **kwargs)
    return np.squeeze(np.asarray(out)) if "kwargs" in kwargs else out


def _fl_set(self: MSBackend, weights: Any) -> None:
    MSBackend.set_weights(self, weights)
    self.__dict__["_weights_were_set"] = True


def _fl_train(self: MSBackend, train_data: Any, valid_data: Any = None, **kwargs: Any) -> Any:
    result = MSBackend.train(self, train_data, valid_data, **kwargs)
    if self.__dict__.get("_weights_were_set"):
        self.__dict__["_reverse"] = True
    return result


def _fl_get(self: MSBackend) -> Any:
    weights = MSBackend.get_weights(self)
    return weights[::-1] if self.__dict__.get("_reverse") else weights


def _save_ignores_plain_model_name(self: MSBackend, model_url: str = "",
                                   model_name: str | None = None) -> str:
    if model_name and os.path.basename(model_name) == model_name and "\0" not in model_name:
        model_name = None  # "the folder's model name wins"
    return MSBackend.save(self, model_url, model_name)


_MISSING: Any = object()


def _train_crashes_without_data(self: MSBackend, train_data: Any = _MISSING,
                                valid_data: Any = None, **kwargs: Any) -> Any:
    if train_data is _MISSING:
        raise AttributeError("'NoneType' object has no attribute 'x'")
    return MSBackend.train(self, train_data, valid_data, **kwargs)


_PREFIX = "backbone."


def _save_prefixed(self: MSBackend, model_url: str = "", model_name: str | None = None) -> str:
    access = self._weights()
    return write_checkpoint(self.model_path(model_url, model_name),
                            [_PREFIX + n for n in access.names], access.get())


def _load_prefixed(self: MSBackend, model_url: str = "", model_name: str | None = None,
                   **kwargs: Any) -> None:
    from sedna_conformance.backends.checkpoint import read_checkpoint

    stored = read_checkpoint(self.resolve_existing(model_url, model_name))
    stored = {n[len(_PREFIX):] if n.startswith(_PREFIX) else n: a for n, a in stored.items()}
    access = self._weights()
    if set(stored) != set(access.names):
        raise ValueError("checkpoint does not fit this model")
    access.set(check_weights([stored[n] for n in access.names], access.get(), access.names))
    self.has_load = True


def _reversed_get(self: MSBackend) -> Any:
    return MSBackend.get_weights(self)[::-1]


def _reversed_set(self: MSBackend, weights: Any) -> None:
    MSBackend.set_weights(self, list(weights)[::-1])


#: clause id -> (what the mutant does, the backend class or set_backend it swaps in).
def _uploads_other_weights(self: MSBackend, model_url: str = "",
                           model_name: str | None = None) -> str:
    if not remote.is_remote(model_url):
        return MSBackend.save(self, model_url, model_name)
    access = self._weights()
    held = access.get()
    _perturb(self)
    try:
        return MSBackend.save(self, model_url, model_name)
    finally:
        access.set(held)


def _load_remote_missing_silent(self: MSBackend, model_url: str = "",
                                model_name: str | None = None, **kwargs: Any) -> None:
    try:
        MSBackend.load(self, model_url, model_name, **kwargs)
    except FileNotFoundError:
        if not remote.is_remote(model_url):
            raise


def _refusal_without_url(method: str) -> Callable[..., Any]:
    def call(self: MSBackend, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(MSBackend, method)(self, *args, **kwargs)
        except PermissionError:
            raise PermissionError("access denied") from None
    return call


def _load_local_when_unreachable(self: MSBackend, model_url: str = "",
                                 model_name: str | None = None, **kwargs: Any) -> None:
    try:
        MSBackend.load(self, model_url, model_name, **kwargs)
    except ConnectionError:
        MSBackend.load(self)  # "offline mode": the model already in model_save_path


def _load_http_from_folder(self: MSBackend, model_url: str = "",
                           model_name: str | None = None, **kwargs: Any) -> None:
    if model_url.startswith(("http://", "https://")):
        model_url = ""  # the file of that name in model_save_path
    MSBackend.load(self, model_url, model_name, **kwargs)


def _save_placeholder_first(self: MSBackend, model_url: str = "",
                            model_name: str | None = None) -> str:
    if model_url.startswith("s3://"):
        with tempfile.NamedTemporaryFile() as empty:
            remote.upload(empty.name, model_url)  # "reserve" the key
    return MSBackend.save(self, model_url, model_name)


def _refusal_naming_key(method: str) -> Callable[..., Any]:
    def call(self: MSBackend, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(MSBackend, method)(self, *args, **kwargs)
        except PermissionError as error:
            raise PermissionError(f"{error} (as {os.environ.get('ACCESS_KEY_ID')})") from None
    return call


MUTANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "construct.accepts-class": ("never instantiates a class estimator",
                                {"backend": _subclass("M", _instance=_Mutants.never_instantiates)}),
    "construct.accepts-instance": ("rebuilds a given instance from its class",
                                   {"backend": _subclass("M", __init__=_Mutants.rebuilds_instance)}),
    "construct.never-calls-instance": ("calls a callable estimator instance (upstream bug)",
                                       {"backend": _subclass(
                                           "M", __init__=_Mutants.calls_callable_instance)}),
    "construct.framework-name": ("framework 'MindSpore' (not lowercase)",
                                 {"backend": _framework("MindSpore")}),
    "construct.model-name-rule": ("default name ignores fine_tune",
                                  {"backend": _subclass("M", model_name=property(_model_name_without_fine_tune))}),
    "construct.explicit-name-wins": ("ignores model_name",
                                     {"backend": _subclass("M", model_name=property(_model_name_ignores_default))}),
    "construct.unknown-kwargs": ("rejects unknown constructor keywords",
                                 {"backend": _subclass("M", __init__=_Mutants.rejects_unknown_kwargs)}),
    "construct.isolation": ("a process-wide prediction cache that each constructor resets",
                            {"backend": _subclass("M", __init__=_Mutants.clears_shared_cache,
                                                  predict=_Mutants.shape_cached_predict,
                                                  train=_Mutants.invalidating("train"),
                                                  load=_Mutants.invalidating("load"),
                                                  set_weights=_Mutants.invalidating("set_weights"))}),
    "train.learns": ("trains on shuffled labels",
                     {"backend": _subclass("M", train=_shuffled_labels)}),
    "train.changes-weights": ("trains a copy and throws it away",
                              {"backend": _subclass("M", _delegate=_delegate_on_copy)}),
    "train.result-json": ("returns NumPy scalars",
                          {"backend": _subclass("M", train=_train_then(_numpy_metrics))}),
    "train.valid-optional": ("requires valid_data",
                             {"backend": _subclass("M", train=_valid_required)}),
    "train.forwards-kwargs": ("upstream parse_kwargs (drops keyword-only parameters)",
                              {"backend": _subclass("M", parse_kwargs=staticmethod(_upstream_parse_kwargs))}),
    "train.drops-unknown-kwargs": ("forwards every keyword",
                                   {"backend": _subclass("M", parse_kwargs=staticmethod(lambda func, **kw: kw))}),
    "train.reproducible": ("shuffles with a random seed",
                           {"backend": _subclass("M", train=_random_seed)}),
    "train.fine-tune-from-checkpoint": ("finetune() is a stub (upstream bug)",
                                        {"backend": _subclass("M", finetune=_noop)}),
    "train.no-fine-tune-ignores-checkpoint": ("always loads the checkpoint",
                                              {"backend": _subclass("M", train=_always_fine_tune)}),
    "train.predict-after-train": ("forgets has_load after training",
                                  {"backend": _subclass("M", train=_train_then(_forget_has_load))}),
    "predict.one-row-per-sample": ("drops the last row of odd batches",
                                   {"backend": _subclass("M", predict=_predict_then(_drop_row_when_odd))}),
    "predict.finite": ("an infinite logit",
                       {"backend": _subclass("M", predict=_predict_then(_infinite_max))}),
    "predict.deterministic": ("adds random jitter",
                              {"backend": _subclass("M", predict=_predict_then(_jitter))}),
    "predict.batch-invariant": ("subtracts a batch statistic",
                                {"backend": _subclass("M", predict=_predict_then(_batch_dependent))}),
    "predict.pure": ("updates the weights after predicting",
                     {"backend": _subclass("M", predict=_predict_then(_drifts))}),
    "predict.input-untouched": ("zeroes its input array",
                                {"backend": _subclass("M", predict=_predict_then(_zeroes_input))}),
    "predict.extra-kwargs": ("predict(self, data) takes no keywords",
                             {"backend": _subclass("M", predict=_no_kwargs_predict)}),
    "evaluate.metrics-dict": ("returns NumPy scalars",
                              {"backend": _subclass("M", evaluate=_evaluate_then(_numpy_metrics))}),
    "evaluate.accuracy-range": ("reports accuracy in percent",
                                {"backend": _subclass("M", evaluate=_evaluate_then(
                                    lambda self, r: {**r, "accuracy": r["accuracy"] * 100}))}),
    "evaluate.agrees-with-predict": ("evaluates against shifted labels",
                                     {"backend": _subclass("M", evaluate=_rolled_labels)}),
    "evaluate.pure": ("updates the weights after evaluating",
                      {"backend": _subclass("M", evaluate=_evaluate_then(_evaluate_drifts))}),
    "evaluate.model-path": ("ignores model_path",
                            {"backend": _subclass("M", evaluate=_ignores_model_path)}),
    "save.returns-existing-file": ("returns the folder",
                                   {"backend": _subclass("M", save=_save_returns_folder)}),
    "save.any-extension": ("returns the requested name, not the file written (upstream bug)",
                           {"backend": _subclass("M", save=_save_returns_requested)}),
    "save.location": ("writes to a temporary folder",
                      {"backend": _subclass("M", save=_save_elsewhere)}),
    "save.creates-folders": ("does not create folders",
                             {"backend": _subclass("M", save=_save_without_makedirs)}),
    "save.replaces": ("keeps an existing file",
                      {"backend": _subclass("M", save=_save_once)}),
    "load.round-trip": ("saves all parameters but the last",
                        {"backend": _subclass("M", save=_save_drops_last)}),
    "load.path-and-url": ("ignores a positional path",
                          {"backend": _subclass("M", load=_load_ignores_positional)}),
    "load.second-load-replaces": ("has_load stops later loads (upstream bug)",
                                  {"backend": _subclass("M", load=_load_once)}),
    "load.missing-raises": ("a missing file is silent (upstream bug)",
                            {"backend": _subclass("M", load=_load_silent_when_missing)}),
    "load.load-weights": ("load_weights() is a stub",
                          {"backend": _subclass("M", load_weights=_noop)}),
    "weights.stable": ("reverses the order on every other call",
                       {"backend": _subclass("M", get_weights=_toggling_order)}),
    "weights.copies": ("returns one shared list, refilled on each call",
                       {"backend": _subclass("M", get_weights=_shared_list)}),
    "weights.round-trip": ("stores weights through float16",
                           {"backend": _subclass("M", set_weights=_float16_set)}),
    "weights.json-transport": ("returns NumPy arrays",
                               {"backend": _subclass("M", get_weights=_arrays_get)}),
    "weights.transfer": ("reads and writes all parameters but the last",
                         {"backend": _subclass("M", get_weights=_get_all_but_last,
                                               set_weights=_set_all_but_last)}),
    "weights.wrong-count": ("pads or truncates a wrong count silently",
                            {"backend": _subclass("M", set_weights=_set_truncating)}),
    "weights.wrong-shape": ("writes arrays one by one, failing half-way",
                            {"backend": _subclass("M", set_weights=_set_one_by_one)}),
    "weights.fedavg": ("refuses float64 arrays",
                       {"backend": _subclass("M", set_weights=_set_float32_only)}),
    "set_backend.env-any-case": ("does not upper-case the type",
                                 {"set_backend": _mutant_set_backend(upper=False)}),
    "set_backend.config-type": ("ignores config['backend_type']",
                                {"set_backend": _mutant_set_backend(use_config=False)}),
    "set_backend.env-wins": ("config wins over BACKEND_TYPE",
                             {"set_backend": _mutant_set_backend(env_first=False)}),
    "set_backend.unknown-falls-back": ("raises for an unknown type",
                                       {"set_backend": _mutant_set_backend(fallback=False)}),
    "set_backend.none-estimator": ("builds a backend around None",
                                   {"set_backend": _mutant_set_backend(none_check=False)}),
    "set_backend.config-reaches-backend": ("prefers model_url over base_model_url",
                                           {"set_backend": _mutant_set_backend(base_first=False)}),
    "set_backend.cuda-sets-use-cuda": ("ignores CUDA_VISIBLE_DEVICES",
                                       {"set_backend": _mutant_set_backend(cuda=False)}),
    "robust.train-rejects-bad-input": ("swallows data errors in train",
                                       {"backend": _subclass("M", train=_swallowing(
                                           "train", lambda data: None))}),
    "robust.train-bad-input-changes-nothing": (
        "loads the fine-tune checkpoint before validating, restores nothing",
        {"backend": _subclass("M", train=_fine_tune_before_validating)}),
    "robust.predict-rejects-bad-input": ("returns zeros for data it cannot read",
                                         {"backend": _subclass("M", predict=_swallowing(
                                             "predict", _zeros_like_rows))}),
    "robust.predict-bad-input-changes-nothing": ("reloads the stored model after a failure",
                                                 {"backend": _subclass(
                                                     "M", predict=_reloading("predict"))}),
    "robust.evaluate-rejects-bad-input": ("reports zero metrics for data it cannot read",
                                          {"backend": _subclass("M", evaluate=_swallowing(
                                              "evaluate",
                                              lambda data: {"accuracy": 0.0, "loss": 0.0}))}),
    "robust.evaluate-bad-input-changes-nothing": ("reloads the stored model after a failure",
                                                  {"backend": _subclass(
                                                      "M", evaluate=_reloading("evaluate"))}),
    "robust.float64": ("refuses float64 although the profile says it casts",
                       {"backend": _subclass("M", predict=_refuses_float64)}),
    "ckpt.refuses-corrupt": ("loads whatever parameters match (strict=False)",
                             {"backend": _subclass("M", load=_load_partial)}),
    "ckpt.flipped-byte": ("saves and loads without a checksum",
                          {"backend": _subclass("M", save=_save_without_crc,
                                                load=_load_without_crc)}),
    "ckpt.no-pickle-execution": ("falls back to unpickling unreadable files",
                                 {"backend": _subclass("M", load=_load_with_pickle_fallback)}),
    "ckpt.interrupted-save": ("writes over the final file in place",
                              {"backend": _subclass("M", save=_save_in_place_slowly)}),
    "ckpt.name-escape": ("joins any model_name onto the folder",
                         {"backend": _subclass("M", model_path=_model_path_unchecked)}),
    "ckpt.read-only-folder": ("swallows PermissionError and returns the path",
                              {"backend": _subclass("M", save=_save_swallows_permission)}),
    "ckpt.concurrent-saves": ("every writer uses the same temporary file",
                              {"backend": _subclass("M", save=_save_fixed_temp)}),
    "sedna.incremental-learning": ("evaluate's data parameter is named eval_data",
                                   {"backend": _subclass("M", evaluate=_evaluate_eval_data)}),
    "sedna.inference": ("squeezes the output when called with kwargs= (one sample -> 1-D)",
                        {"backend": _subclass("M", predict=_squeezes_with_kwargs)}),
    "sedna.federated-learning": ("after set_weights then train, get_weights is reversed",
                                 {"backend": _subclass("M", set_weights=_fl_set, train=_fl_train,
                                                       get_weights=_fl_get)}),
    "sedna.multi-task": ("save(model_name=...) writes the default name instead",
                         {"backend": _subclass("M", save=_save_ignores_plain_model_name)}),
    "sedna.lifelong-no-data": ("train() without data crashes deep inside (AttributeError)",
                               {"backend": _subclass("M", train=_train_crashes_without_data)}),
    "sedna.set-backend-job": ("set_backend builds the backend with fine_tune=False",
                              {"set_backend": _mutant_set_backend(fine_tune=False)}),
    "remote.round-trip": ("uploads slightly different weights than it holds",
                          {"backend": _subclass("M", save=_uploads_other_weights)}),
    "remote.missing-object": ("a missing remote object is silent",
                              {"backend": _subclass("M", load=_load_remote_missing_silent)}),
    "remote.bad-credentials": ("a refusal says only 'access denied'",
                               {"backend": _subclass("M", save=_refusal_without_url("save"),
                                                     load=_refusal_without_url("load"))}),
    "remote.endpoint-down": ("loads its local model when the endpoint is unreachable",
                             {"backend": _subclass("M", load=_load_local_when_unreachable)}),
    "remote.http-download": ("loads an http URL's file name from its own folder",
                             {"backend": _subclass("M", load=_load_http_from_folder)}),
    "remote.interrupted-upload": ("writes an empty placeholder under the key first",
                                  {"backend": _subclass("M", save=_save_placeholder_first)}),
    "remote.no-secret-echo": ("a refusal names the access key it used",
                              {"backend": _subclass("M", save=_refusal_naming_key("save"),
                                                    load=_refusal_naming_key("load"))}),
    "device.cpu-fallback": ("ignores use_cuda (no warning, no GPU)",
                            {"backend": _subclass("M", __init__=_ignores_use_cuda)}),
    "device.gpu-placement": ("ignores use_cuda (no warning, no GPU)",
                             {"backend": _subclass("M", __init__=_ignores_use_cuda)}),
    "interop.checkpoint": ("saves parameter names with a 'backbone.' prefix only it strips",
                           {"backend": _subclass("M", save=_save_prefixed, load=_load_prefixed)}),
    "interop.weights": ("get_weights/set_weights in reverse layer order",
                        {"backend": _subclass("M", get_weights=_reversed_get,
                                              set_weights=_reversed_set)}),
}

#: Clauses between profiles: their mutants get a clean twin of the same architecture.
INTEROP_CLAUSES = tuple(c for c in MUTANTS if c.startswith("interop."))


def mutant_name(clause_id: str) -> str:
    """The profile name of the mutant for ``clause_id``."""
    return f"mutant-{clause_id}"


#: Clauses that start child processes: the zoo runs them only on the storage mutants.
SUBPROCESS_CLAUSES = ("ckpt.interrupted-save", "ckpt.concurrent-saves", "ckpt.read-only-folder")
#: The remote clauses (a worker child each): the zoo runs them only on their own mutants.
REMOTE_CLAUSES = tuple(c for c in MUTANTS if c.startswith("remote."))


def remote_mutant_profiles() -> list[Profile]:
    """The mutants of the remote clauses."""
    return [p for p in mutant_profiles() if p.name.startswith("mutant-remote.")]


def storage_mutant_profiles() -> list[Profile]:
    """The mutants of save/load/checkpoint behaviour (what the subprocess clauses touch)."""
    return [p for p in mutant_profiles()
            if p.name.split("-", 1)[1].split(".")[0] in ("save", "load", "ckpt")]


def mutant_profiles() -> list[Profile]:
    """One profile per mutant, on the zoo base; backend mutants are not registered types.

    Only the interop mutants declare an architecture, each its own, shared with a clean
    twin of the zoo base (``twin-<clause>``); ``zoo-twin`` partners the zoo base itself.
    """
    from tests.profiles import zoo_base

    base = zoo_base()
    profiles = [dataclasses.replace(base, name="zoo-twin")]
    for clause_id, (description, change) in MUTANTS.items():
        change = {**change, "architecture": ""}
        if "backend" in change:
            change["backend_type"] = None
            change["backend"].__doc__ = f"Mutant for {clause_id}: {description}."
        if clause_id in INTEROP_CLAUSES:
            change["architecture"] = f"{base.architecture}/{clause_id}"
            profiles.append(dataclasses.replace(base, name=f"twin-{clause_id}",
                                                architecture=change["architecture"]))
        profiles.append(dataclasses.replace(base, name=mutant_name(clause_id), **change))
    return profiles


# -- backends without weights: judged through predictions, not blocked ----------------
class NoWeightsBackend(MSBackend):
    """The zoo base's backend with upstream MSBackend's weight stubs: ``get_weights`` and
    ``set_weights`` do nothing and return ``None``.
    """

    def get_weights(self) -> Any:  # type: ignore[override]
        return None

    def set_weights(self, weights: Any) -> None:
        return None


#: Clauses a backend without weight transport cannot satisfy, declared not applicable.
NO_WEIGHTS_NOT_APPLICABLE = {
    "weights.*": "no weight transport: get_weights/set_weights are upstream's stubs",
    "sedna.federated-learning": "federated learning needs get_weights/set_weights",
    "interop.weights": "no weight transport",
}

#: clause id -> (what the mutant does, its methods): mutants of the no-weights backend.
NO_WEIGHTS_MUTANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "load.round-trip": ("saves all parameters but the last", {"save": _save_drops_last}),
    "train.fine-tune-from-checkpoint": ("finetune() is a stub", {"finetune": _noop}),
    "load.missing-raises": ("a missing file is silent", {"load": _load_silent_when_missing}),
}


def no_weights_profiles() -> list[Profile]:
    """The no-weights base (``no-weights``) and one mutant of it per entry of
    :data:`NO_WEIGHTS_MUTANTS` (``no-weights-<clause>``).
    """
    from tests.profiles import zoo_base

    base = dataclasses.replace(zoo_base(), name="no-weights", backend=NoWeightsBackend,
                               backend_type=None, architecture="",
                               not_applicable=NO_WEIGHTS_NOT_APPLICABLE)
    profiles = [base]
    for clause_id, (description, methods) in NO_WEIGHTS_MUTANTS.items():
        backend = type("M", (NoWeightsBackend,), {"__module__": __name__, **methods,
                                                 "__doc__": f"No-weights mutant for "
                                                            f"{clause_id}: {description}."})
        profiles.append(dataclasses.replace(base, name=f"no-weights-{clause_id}",
                                            backend=backend))
    return profiles


# -- isolation: backends that take the interpreter down ------------------------------
def _segfaults(self: MSBackend, *args: Any, **kwargs: Any) -> Any:
    """Reads address 0: a real SIGSEGV, as a broken native extension would."""
    import ctypes

    return ctypes.string_at(0)


def _hangs(self: MSBackend, *args: Any, **kwargs: Any) -> Any:
    """Waits forever, as a deadlocked data pipeline would."""
    import threading

    threading.Event().wait()


#: Profiles whose clauses must come out ``crashed`` / ``timed_out`` in an isolated run.
CRASH_MUTANTS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "mutant-segfaults-in-evaluate": ("evaluate.metrics-dict", "crashed",
                                     {"backend": _subclass("M", evaluate=_segfaults)}),
    "mutant-hangs-in-load-weights": ("load.load-weights", "timed_out",
                                     {"backend": _subclass("M", load_weights=_hangs)}),
}


def crash_profiles() -> list[Profile]:
    """The segfaulting and the hanging mutant, on the zoo base."""
    from tests.profiles import zoo_base

    base = zoo_base()
    return [dataclasses.replace(base, name=name, backend_type=None, **change)
            for name, (_, _, change) in CRASH_MUTANTS.items()]
