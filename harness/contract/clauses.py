"""The clause registry: the Sedna backend contract, one normative sentence per clause.

This is the single source of truth: tests bind to clause ids, and the command line,
reports and docs print the sentences from here. :func:`run_order` puts every clause
after its prerequisites; the harness runs them in that order.
"""

from __future__ import annotations

import enum
import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "CLAUSES",
    "CONTRACT_VERSION",
    "CONTRACT_VERSIONS",
    "INSTRUMENT_CLAUSES",
    "Clause",
    "Reading",
    "direct_prerequisites",
    "get_clause",
    "match",
    "newer_than",
    "prerequisites",
    "run_order",
    "version_key",
    "version_problem",
]

#: Version of the contract these clauses define; a clause records the one it appeared in.
CONTRACT_VERSION = "1.5"


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10"`` -> ``(1, 10)``: contract versions in order."""
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class Clause:
    """One rule of the contract.

    ``id`` is ``group.name``; ``sentence`` is the normative rule; ``methods`` are the
    backend methods concerned; ``requires`` lists prerequisite clause ids whose failure
    *blocks* this one; ``fix`` tells an author where to look when it fails. ``observes``
    marks a clause that reads the model's state, through the profile's instrument
    (:mod:`sedna_conformance.harness.contract.instruments`) or ``get_weights`` itself: it also
    requires that instrument's clause. ``fix`` speaks in contract terms, for any framework;
    ``examples`` adds, by ``framework`` name, how to do it there (shown only to that
    framework's backends).
    """

    id: str
    sentence: str
    methods: tuple[str, ...]
    fix: str
    requires: tuple[str, ...] = ()
    capabilities: tuple[str, ...] = ()
    since: str = "1.0"
    observes: bool = False
    examples: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    revised: Mapping[str, str] = field(default_factory=dict, hash=False, compare=False)
    """Contract version -> how the rule changed then (for the changelog)."""
    group: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "group", self.id.split(".", 1)[0])


def _c(id: str, *, sentence: str, methods: tuple[str, ...], fix: str,
       requires: tuple[str, ...] = (), capabilities: tuple[str, ...] = (), since: str = "1.0",
       observes: bool = False, examples: Mapping[str, str] | None = None,
       revised: Mapping[str, str] | None = None) -> Clause:
    return Clause(id, sentence, methods, fix, requires, capabilities, since, observes,
                  dict(examples or {}), dict(revised or {}))


#: The root of most prerequisites: the harness builds backends on estimator instances.
_CONSTRUCT = "construct.accepts-instance"
_TRAIN = "train.learns"
_PREDICT = "predict.one-row-per-sample"

_ALL = [
    # -- construct ---------------------------------------------------------------------
    _c(_CONSTRUCT,
       sentence="The backend accepts an estimator instance and predicts with that instance (a "
                "trained one predicts differently from a fresh one).",
       methods=("__init__", "predict"),
       fix="keep `estimator` as given when it is not a class"),
    _c("construct.never-calls-instance",
       sentence="The backend never calls an estimator instance, even when it is callable (a "
                "PyTorch `nn.Module`, a Keras model and a MindSpore `Cell` are).",
       methods=("__init__", "predict"),
       fix="test `isinstance(estimator, type)`, not `callable(estimator)`",
       requires=(_CONSTRUCT,),
       since="1.3"),
    _c("construct.accepts-class",
       sentence="The backend accepts an estimator class, instantiates it with no arguments and "
                "can predict with it.",
       methods=("__init__", "predict"),
       fix="instantiate `estimator` when `isinstance(estimator, type)`, and keep it otherwise",
       requires=(_CONSTRUCT,)),
    _c("construct.framework-name",
       sentence="`framework` is a non-empty lowercase string naming the framework.",
       methods=("framework",),
       fix="set the class attribute `framework = \"<name>\"`"),
    _c("construct.model-name-rule",
       sentence="Without `model_name`, `model_name` is `model[_finetune_]<framework><suffix>` "
                "with Sedna's suffix for the framework.",
       methods=("model_name",),
       fix="derive model_name from fine_tune, framework and Sedna's suffixes (.pth pytorch, .pb "
           "tensorflow/keras, .ckpt mindspore/tinyms, .pkl otherwise)"),
    _c("construct.explicit-name-wins",
       sentence="A `model_name` given to the constructor is the `model_name`.",
       methods=("model_name",),
       fix="return `default_name` when it is set"),
    _c("construct.unknown-kwargs",
       sentence="Unknown constructor keywords (such as `model_save_url`) are accepted and "
                "ignored.",
       methods=("__init__",),
       fix="accept `**kwargs` in `__init__`",
       requires=(_CONSTRUCT,)),
    _c("construct.isolation",
       sentence="Building a second backend in the same process does not change a live backend's "
                "predictions.",
       methods=("__init__", "predict"),
       fix="do not change global framework state (execution mode, seeds) in `__init__`",
       requires=("predict.deterministic",),
       examples={"mindspore": "set_context(mode=...) changes every backend of the process; switch "
                              "modes only around the backend's own calls"}),
    # -- train -------------------------------------------------------------------------
    _c(_TRAIN,
       sentence="Training reaches the profile's accuracy threshold on the learnable split, above "
                "the untrained model's accuracy.",
       methods=("train", "evaluate"),
       fix="check that train() passes train_data to the estimator and trains the same weights "
           "that predict() uses",
       requires=("train.changes-weights", _PREDICT)),
    _c("train.changes-weights",
       sentence="Training changes the model (its weights; without `get_weights`, its "
                "predictions).",
       methods=("train",),
       fix="train the network that predict() and get_weights() read",
       requires=(_CONSTRUCT,),
       observes=True),
    _c("train.result-json",
       sentence="`train` returns `None` or a JSON-serialisable value.",
       methods=("train",),
       fix="return plain dicts/lists/numbers (convert NumPy scalars and 0-d tensors with float())",
       requires=(_CONSTRUCT,)),
    _c("train.valid-optional",
       sentence="`train` works without `valid_data`.",
       methods=("train",),
       fix="give `valid_data` a default of None and skip validation when it is None",
       requires=(_CONSTRUCT,)),
    _c("train.forwards-kwargs",
       sentence="`train` forwards the keywords `estimator.train` accepts, keyword-only ones "
                "included.",
       methods=("train",),
       fix="filter kwargs with a parse_kwargs that keeps KEYWORD_ONLY parameters",
       requires=(_CONSTRUCT,)),
    _c("train.drops-unknown-kwargs",
       sentence="`train` silently drops keywords `estimator.train` does not accept.",
       methods=("train",),
       fix="filter kwargs with parse_kwargs before calling the estimator",
       requires=(_CONSTRUCT,)),
    _c("train.reproducible",
       sentence="Two trainings from the same initial weights with the same seed give the same "
                "weights.",
       methods=("train", "get_weights"),
       fix="seed every source of randomness (initialisation, shuffling, dropout) from the `seed` "
           "keyword, and train for real",
       requires=("train.changes-weights",),
       capabilities=("deterministic_training",),
       observes=True,
       examples={"pytorch": "torch.manual_seed(seed) and a DataLoader with a seeded generator",
                 "mindspore": "mindspore.set_seed(seed) and a dataset shuffled with that seed",
                 "keras": "keras.utils.set_random_seed(seed)",
                 "tensorflow": "tf.keras.utils.set_random_seed(seed)"}),
    _c("train.fine-tune-from-checkpoint",
       sentence="With `fine_tune=True` and a checkpoint at `model_save_path`, training starts "
                "from that checkpoint's weights.",
       methods=("train",),
       fix="implement finetune(): load the checkpoint at model_save_path before training",
       requires=("load.round-trip",),
       observes=True),
    _c("train.no-fine-tune-ignores-checkpoint",
       sentence="With `fine_tune=False`, training starts from the estimator's own weights even "
                "when a checkpoint exists.",
       methods=("train",),
       fix="only load the checkpoint when self.fine_tune is true",
       requires=("load.round-trip",),
       observes=True),
    _c("train.predict-after-train",
       sentence="`predict` right after `train` uses the trained model, with no `load`.",
       methods=("train", "predict"),
       fix="set has_load = True after training so predict does not reload an old file",
       requires=("train.changes-weights", "save.returns-existing-file")),
    # -- predict -----------------------------------------------------------------------
    _c(_PREDICT,
       sentence="`predict` returns one output row per input sample, for every batch size.",
       methods=("predict",),
       fix="return an array with len(output) == len(data)",
       requires=(_CONSTRUCT,)),
    _c("predict.finite",
       sentence="`predict` returns finite numbers.",
       methods=("predict",),
       fix="check the network's output layer and input scaling",
       requires=(_PREDICT,)),
    _c("predict.deterministic",
       sentence="`predict` returns the same output for the same input.",
       methods=("predict",),
       fix="put the network in inference mode before predicting (dropout off, batch-norm on its "
           "moving statistics)",
       requires=("predict.pure",),
       examples={"pytorch": "model.eval() and torch.no_grad()",
                 "keras": "model(x, training=False) or model.predict(x)",
                 "tensorflow": "model(x, training=False) or model.predict(x)",
                 "mindspore": "net.set_train(False)",
                 "tinyms": "net.set_train(False)"}),
    _c("predict.batch-invariant",
       sentence="A sample's output does not depend on the batch it is predicted in, within the "
                "profile's tolerance.",
       methods=("predict",),
       fix="predict in inference mode so batch-norm uses its moving statistics",
       requires=("predict.pure", "predict.finite")),
    _c("predict.pure",
       sentence="`predict` changes neither the weights nor later predictions.",
       methods=("predict",),
       fix="do not train or update batch-norm statistics in predict",
       requires=(_PREDICT,),
       observes=True),
    _c("predict.input-untouched",
       sentence="`predict` leaves its input array unchanged.",
       methods=("predict",),
       fix="copy the input before normalising or casting it in place",
       requires=(_PREDICT,)),
    _c("predict.extra-kwargs",
       sentence="`predict` tolerates extra keywords, including a literal `kwargs={...}` as "
                "Sedna's inference passes.",
       methods=("predict",),
       fix="filter kwargs with parse_kwargs before calling estimator.predict",
       requires=("predict.pure",)),
    # -- evaluate ----------------------------------------------------------------------
    _c("evaluate.metrics-dict",
       sentence="`evaluate` returns a JSON-serialisable dict of str to finite numbers.",
       methods=("evaluate",),
       fix="return {name: float(value)}",
       requires=(_CONSTRUCT,)),
    _c("evaluate.accuracy-range",
       sentence="`evaluate` reports an accuracy (under the profile's `accuracy_key`, `accuracy` "
                "by default) that lies in [0, 1].",
       methods=("evaluate",),
       fix="report accuracy as a fraction, not a percentage",
       requires=("evaluate.metrics-dict",)),
    _c("evaluate.agrees-with-predict",
       sentence="`evaluate`'s accuracy equals the accuracy of `predict`'s arg-max on the same "
                "data.",
       methods=("evaluate", "predict"),
       fix="evaluate the same model, in the same mode, that predict uses",
       requires=("evaluate.accuracy-range", "evaluate.pure", "predict.pure")),
    _c("evaluate.pure",
       sentence="`evaluate` changes neither the weights nor later predictions.",
       methods=("evaluate",),
       fix="do not train or update batch-norm statistics in evaluate",
       requires=("evaluate.metrics-dict", "predict.pure"),
       observes=True),
    _c("evaluate.model-path",
       sentence="`evaluate(data, model_path=ckpt)` evaluates that checkpoint, not the model in "
                "memory.",
       methods=("evaluate", "save"),
       fix="load model_path (into a copy, or restore afterwards) before evaluating",
       requires=("evaluate.accuracy-range", "load.round-trip")),
    # -- save / load -------------------------------------------------------------------
    _c("save.returns-existing-file",
       sentence="`save` returns the path of a file that exists.",
       methods=("save",),
       fix="return the path of the file really written (frameworks that add their own suffix "
           "change the name)",
       requires=(_CONSTRUCT,),
       examples={"mindspore": "save_checkpoint appends .ckpt to a name without it",
                 "tinyms": "save_checkpoint appends .ckpt to a name without it",
                 "keras": "Keras 3 saves only under .keras or .weights.h5 names"}),
    _c("save.any-extension",
       sentence="`save(model_name=...)` with a name lacking the framework's extension still "
                "returns the path of the file really written.",
       methods=("save",),
       fix="return the path the framework really wrote, suffix included",
       requires=("save.returns-existing-file",)),
    _c("save.location",
       sentence="`save` writes into `model_save_path` under `model_name`.",
       methods=("save",),
       fix="join model_save_path and model_name (or split model_save_path when it is a file)",
       requires=("save.returns-existing-file", "construct.explicit-name-wins")),
    _c("save.creates-folders",
       sentence="`save` creates missing folders of `model_save_path`.",
       methods=("save",),
       fix="os.makedirs(folder, exist_ok=True) before writing",
       requires=("save.location",)),
    _c("save.replaces",
       sentence="A second `save` to the same path replaces the first.",
       methods=("save", "load"),
       fix="overwrite the target file (write to a temporary file, then rename)",
       requires=("save.location", "load.round-trip"),
       observes=True),
    _c("load.round-trip",
       sentence="`save`, then `load` into a new backend, gives bit-identical weights and "
                "predictions.",
       methods=("save", "load", "predict"),
       fix="save and load every parameter, batch-norm statistics included",
       requires=("save.returns-existing-file", "predict.deterministic"),
       observes=True,
       examples={"pytorch": "save state_dict() (it holds the buffers: running_mean/var), not just "
                            "parameters()"}),
    _c("load.path-and-url",
       sentence="`load(path)` and `load(model_url=path)` both load that file.",
       methods=("load",),
       fix="accept the path as the first positional argument `model_url`",
       requires=("load.round-trip",),
       observes=True),
    _c("load.second-load-replaces",
       sentence="A second `load` of another model replaces the first (`has_load` does not stop "
                "it).",
       methods=("load", "predict"),
       fix="always load when load() is called; has_load only guards implicit loads",
       requires=("load.round-trip",),
       observes=True),
    _c("load.missing-raises",
       sentence="`load` of a missing path raises `FileNotFoundError` naming it and changes "
                "nothing.",
       methods=("load",),
       fix="check os.path.exists and raise FileNotFoundError(path) before touching the model",
       requires=(_CONSTRUCT,),
       observes=True),
    _c("load.load-weights",
       sentence="`load_weights()` restores what `save` wrote at `model_save_path`/`model_name`.",
       methods=("load_weights", "save"),
       fix="read the file at model_save_path/model_name",
       requires=("load.round-trip", "save.location"),
       observes=True),
    # -- weights -----------------------------------------------------------------------
    _c("weights.stable",
       sentence="`get_weights` returns the same count, shapes and order on every call.",
       methods=("get_weights",),
       fix="return the parameters in one fixed order (the network's own registration order)",
       requires=(_CONSTRUCT,),
       examples={"pytorch": "[t.tolist() for t in model.state_dict().values()]",
                 "keras": "[w.tolist() for w in model.get_weights()]",
                 "mindspore": "the values of net.parameters_dict(), in its order",
                 "tinyms": "the values of net.parameters_dict(), in its order"}),
    _c("weights.copies",
       sentence="`get_weights` returns copies: changing them does not change the model.",
       methods=("get_weights", "predict"),
       fix="return copies (ndarray.copy() or tolist())",
       requires=("predict.pure", "weights.stable"),
       observes=True),
    _c("weights.round-trip",
       sentence="`set_weights(get_weights())` is exact, also for perturbed weights.",
       methods=("get_weights", "set_weights"),
       fix="write every array given, in order, at full precision",
       requires=("weights.stable",),
       observes=True),
    _c("weights.json-transport",
       sentence="Weights sent through `json.dumps`/`json.loads`, as Sedna's federated learning "
                "does, set back exactly.",
       methods=("get_weights", "set_weights"),
       fix="return nested lists of Python floats (ndarray.tolist()) and accept them back",
       requires=("weights.round-trip",)),
    _c("weights.transfer",
       sentence="Setting one backend's weights into another gives the first one's predictions.",
       methods=("get_weights", "set_weights", "predict"),
       fix="include every parameter, batch-norm statistics too",
       requires=("weights.round-trip", "predict.deterministic")),
    _c("weights.wrong-count",
       sentence="`set_weights` with the wrong number of arrays raises `ValueError` and changes "
                "nothing.",
       methods=("set_weights",),
       fix="check len(weights) before writing anything",
       requires=("weights.stable",),
       observes=True),
    _c("weights.wrong-shape",
       sentence="`set_weights` with a wrongly shaped array raises `ValueError` and changes "
                "nothing.",
       methods=("set_weights",),
       fix="check every shape before writing anything",
       requires=("weights.stable",),
       observes=True),
    _c("weights.fedavg",
       sentence="The element-wise mean of two clients' weights (FedAvg) can be set and read back.",
       methods=("get_weights", "set_weights"),
       fix="accept float arrays of the same shapes",
       requires=("weights.json-transport",)),
    # -- set_backend -------------------------------------------------------------------
    _c("set_backend.env-any-case",
       sentence="`BACKEND_TYPE`, in any letter case, selects the profile's backend.",
       methods=("set_backend",),
       fix="upper-case the type before matching it",
       capabilities=("has_set_backend", "registered_backend_type")),
    _c("set_backend.config-type",
       sentence="`config[\"backend_type\"]` selects the backend when `BACKEND_TYPE` is unset.",
       methods=("set_backend",),
       fix="fall back to config['backend_type'] when the variable is unset",
       requires=("set_backend.env-any-case",),
       capabilities=("has_set_backend", "registered_backend_type")),
    _c("set_backend.env-wins",
       sentence="`BACKEND_TYPE` wins over `config[\"backend_type\"]`.",
       methods=("set_backend",),
       fix="read the environment variable first",
       requires=("set_backend.env-any-case",),
       capabilities=("has_set_backend", "registered_backend_type")),
    _c("set_backend.unknown-falls-back",
       sentence="An unknown type warns (a Python warning or a logged warning) and falls back to "
                "the generic backend (Sedna's `BackendBase`, whose `framework` is empty), holding "
                "the estimator.",
       methods=("set_backend",),
       fix="warn naming the type, then build the generic backend (Sedna's `BackendBase`) on the "
           "estimator",
       capabilities=("has_set_backend",),
       revised={"1.5": "judges behaviour (a warning of any wording, and the fallback) "
                       "instead of upstream's exact message"}),
    _c("set_backend.none-estimator",
       sentence="`set_backend(None)` returns `None`.",
       methods=("set_backend",),
       fix="return None first when estimator is None",
       capabilities=("has_set_backend",)),
    _c("set_backend.config-reaches-backend",
       sentence="`config`'s `base_model_url`/`model_url` and `model_name` reach the backend as "
                "`model_save_path` and `model_name`.",
       methods=("set_backend",),
       fix="pass model_save_path=base_model_url or model_url, and model_name",
       requires=("set_backend.env-any-case",),
       capabilities=("has_set_backend", "registered_backend_type")),
    _c("set_backend.cuda-sets-use-cuda",
       sentence="With `CUDA_VISIBLE_DEVICES` set, the backend the profile's type builds has "
                "`use_cuda` true; with it unset, false.",
       methods=("set_backend",),
       fix="pass use_cuda=True to the backend when CUDA_VISIBLE_DEVICES is set, and keep it as "
           "the backend's `use_cuda`",
       requires=("set_backend.env-any-case",),
       capabilities=("has_set_backend", "registered_backend_type"),
       revised={"1.5": "checks `use_cuda` on the backend the profile's type builds, not on "
                       "the fallback"}),
    # -- device (use_cuda) ------------------------------------------------------------
    _c("device.cpu-fallback",
       sentence="Without a GPU visible to the framework, a backend built with `use_cuda=True` "
                "warns that it runs on the CPU, and trains and predicts there as one built "
                "without it.",
       methods=("__init__", "train", "predict"),
       fix="when use_cuda is set but the framework sees no GPU, warn (naming use_cuda or the GPU) "
           "and keep the model on the CPU",
       requires=("predict.deterministic",),
       capabilities=("reports_devices",),
       since="1.5",
       examples={"pytorch": "device = 'cuda' if use_cuda and torch.cuda.is_available() else "
                            "'cpu', warning in the second case",
                 "keras": "check tf.config.list_physical_devices('GPU') when use_cuda is set"}),
    _c("device.gpu-placement",
       sentence="With `use_cuda=True` and a GPU visible to the framework, the model the backend "
                "trains and predicts with lives on the GPU.",
       methods=("__init__", "train", "predict"),
       fix="move the model (and each batch) to the GPU when use_cuda is true",
       requires=(_CONSTRUCT,),
       capabilities=("reports_devices",),
       since="1.5",
       examples={"pytorch": "model.to('cuda') in __init__, and batches .to(the model's device)",
                 "mindspore": "set_context(device_target='GPU') around the backend's calls"}),
    # -- robust (bad input) --------------------------------------------------------
    _c("robust.train-rejects-bad-input",
       sentence="`train` refuses malformed `train_data` (empty, wrong rank or shape, mismatched "
                "lengths, labels out of range, NaN or infinite, None, unsupported dtypes) with a "
                "`ValueError` or `TypeError` naming `train_data`.",
       methods=("train",),
       fix="validate train_data before training and let the error propagate",
       requires=(_CONSTRUCT,),
       since="1.1"),
    _c("robust.train-bad-input-changes-nothing",
       sentence="A refused `train` leaves the weights, predictions and files as they were, and "
                "the backend usable.",
       methods=("train",),
       fix="validate before loading a fine-tune checkpoint, or restore the weights when training "
           "raises",
       requires=("robust.train-rejects-bad-input", "load.round-trip"),
       since="1.1",
       observes=True),
    _c("robust.predict-rejects-bad-input",
       sentence="`predict` refuses malformed features with a `ValueError` or `TypeError` naming "
                "`data`.",
       methods=("predict",),
       fix="validate data before predicting and let the error propagate",
       requires=(_PREDICT,),
       since="1.1"),
    _c("robust.predict-bad-input-changes-nothing",
       sentence="A refused `predict` leaves the weights, predictions and files as they were.",
       methods=("predict",),
       fix="do not reload or reset the model when predict fails",
       requires=("robust.predict-rejects-bad-input", "load.round-trip"),
       since="1.1",
       observes=True),
    _c("robust.evaluate-rejects-bad-input",
       sentence="`evaluate` refuses malformed `data` with a `ValueError` or `TypeError` naming "
                "`data`.",
       methods=("evaluate",),
       fix="validate data before evaluating and let the error propagate",
       requires=("evaluate.metrics-dict",),
       since="1.1"),
    _c("robust.evaluate-bad-input-changes-nothing",
       sentence="A refused `evaluate` leaves the weights, predictions and files as they were.",
       methods=("evaluate",),
       fix="do not reload or reset the model when evaluate fails",
       requires=("robust.evaluate-rejects-bad-input", "load.round-trip"),
       since="1.1",
       observes=True),
    _c("robust.float64",
       sentence="Float64 features are accepted and cast (same predictions as float32), or refused "
                "with a `TypeError` naming `data`, as the profile declares.",
       methods=("predict",),
       fix="cast float64 to the model's dtype (x.astype(np.float32))",
       requires=("predict.pure",),
       since="1.1"),
    # -- ckpt (checkpoint safety) -----------------------------------------------------
    _c("ckpt.refuses-corrupt",
       sentence="`load` refuses a truncated, empty, random or wrong-architecture checkpoint with "
                "a `ValueError`, and the model is unchanged.",
       methods=("load",),
       fix="read into a temporary structure, check names and shapes against the network, then "
           "write",
       requires=("load.round-trip",),
       since="1.1",
       observes=True,
       examples={"pytorch": "torch.load(path, weights_only=True), then load_state_dict(state, "
                            "strict=True) on a copy",
                 "mindspore": "load_checkpoint(path, crc_check=True) and compare names and shapes "
                              "with net.parameters_dict()"}),
    _c("ckpt.flipped-byte",
       sentence="A single flipped byte anywhere in a checkpoint written by `save` is detected on "
                "`load`, never loaded as silently wrong weights.",
       methods=("save", "load"),
       fix="store a checksum (e.g. SHA-256) of the content with the file and check it on load",
       requires=("load.round-trip",),
       since="1.1",
       observes=True,
       examples={"mindspore": "crc_check=True on both save_checkpoint and load_checkpoint",
                 "tinyms": "crc_check=True on both save_checkpoint and load_checkpoint"}),
    _c("ckpt.no-pickle-execution",
       sentence="Loading a file that holds a pickle payload never executes code.",
       methods=("load",),
       fix="never unpickle model files (no torch.load/pickle.load/np.load with allow_pickle=True)",
       requires=("load.round-trip",),
       since="1.1"),
    _c("ckpt.interrupted-save",
       sentence="A `save` killed part-way (SIGKILL) leaves the previous checkpoint intact and "
                "loadable, and no partial file at the final path.",
       methods=("save",),
       fix="write to a temporary file in the same folder, fsync, then os.replace it into place",
       requires=("load.round-trip", "save.location"),
       since="1.1",
       observes=True),
    _c("ckpt.name-escape",
       sentence="A `model_name` that would escape `model_save_path` (`../x`, an absolute path, a "
                "NUL byte) is refused with a `ValueError` and nothing is written.",
       methods=("save",),
       fix="accept only plain file names as model_name",
       requires=("save.location",),
       since="1.1"),
    _c("ckpt.read-only-folder",
       sentence="Saving into a read-only folder raises `PermissionError` and leaves no partial "
                "file.",
       methods=("save",),
       fix="let the PermissionError propagate and clean up the temporary file",
       requires=("save.location", "load.round-trip"),
       capabilities=("enforced_permissions",),
       since="1.1"),
    _c("ckpt.concurrent-saves",
       sentence="Two processes saving to the same path at once leave one complete, loadable "
                "checkpoint.",
       methods=("save", "load"),
       fix="give each writer its own temporary file and rename atomically",
       requires=("load.round-trip", "save.location"),
       since="1.1",
       observes=True),
    # -- remote (model URLs in object storage, as Sedna's deployments use them) ---------
    _c("remote.round-trip",
       sentence="`save(model_url=\"s3://bucket/key\")` uploads the model and returns that URL, "
                "and `load` of that URL into a fresh backend predicts bit-identically.",
       methods=("save", "load"),
       fix="upload the file `save` wrote to the URL's bucket and key with Sedna's S3 settings "
           "(S3_ENDPOINT_URL, ACCESS_KEY_ID, SECRET_ACCESS_KEY); in `load`, download it first",
       requires=("load.round-trip",),
       capabilities=("remote_urls",),
       since="1.4"),
    _c("remote.missing-object",
       sentence="`load` of an `s3://` URL with no object raises `FileNotFoundError` naming the "
                "URL; the model and its files stay as they were.",
       methods=("load",),
       fix="turn the server's NoSuchKey into FileNotFoundError(url) before touching the model or "
           "its folder",
       requires=("load.round-trip",),
       capabilities=("remote_urls",),
       since="1.4"),
    _c("remote.bad-credentials",
       sentence="With credentials the S3 server refuses, `save` and `load` of an `s3://` URL "
                "raise an error naming the URL; nothing is uploaded, and the model and its files "
                "stay as they were.",
       methods=("save", "load"),
       fix="let the refusal propagate as an error naming the URL (PermissionError); download to a "
           "temporary file and load it only once complete",
       requires=("load.round-trip",),
       capabilities=("remote_urls",),
       since="1.4"),
    _c("remote.endpoint-down",
       sentence="With `S3_ENDPOINT_URL` naming an endpoint that is down, `save` and `load` of an "
                "`s3://` URL raise an error naming the URL; the model and its files stay as they "
                "were.",
       methods=("save", "load"),
       fix="bound the client's retries and raise ConnectionError naming the URL; never fall back "
           "to another model",
       requires=("load.round-trip",),
       capabilities=("remote_urls",),
       since="1.4"),
    _c("remote.http-download",
       sentence="`load` of an `http://` URL downloads the model, and the backend then predicts "
                "bit-identically to the model served.",
       methods=("load",),
       fix="download http(s) URLs (urllib) to a temporary file, then load that file",
       requires=("load.round-trip",),
       capabilities=("remote_urls",),
       since="1.4"),
    _c("remote.interrupted-upload",
       sentence="An upload cut off part-way raises an error naming the URL and leaves no object "
                "under the final key.",
       methods=("save",),
       fix="upload in one PUT (or a multipart upload completed only at the end); never write a "
           "placeholder or a part under the final key",
       requires=("load.round-trip",),
       capabilities=("remote_urls",),
       since="1.4"),
    _c("remote.no-secret-echo",
       sentence="`ACCESS_KEY_ID` and `SECRET_ACCESS_KEY` never appear in an error message, a log "
                "line or other output, whether the server accepts or refuses them.",
       methods=("save", "load"),
       fix="build messages from the URL and the server's error code only; never format the "
           "credentials, the client or its request into messages or logs",
       requires=("load.round-trip",),
       capabilities=("remote_urls",),
       since="1.4"),
    # -- sedna (the jobs' call shapes, one scenario per job) ---------------------------
    _c("sedna.incremental-learning",
       sentence="Incremental learning works step by step: `train(train_data=, valid_data=)` gives "
                "a result that `model_info` reports as JSON; `save(path)` returns an existing "
                "file; `evaluate(data=, model_path=url)` after setting `model_save_path = url` "
                "reports each candidate model's own metrics; `load(url)` of a newer model "
                "hot-updates `predict(x, kwargs={...})`.",
       methods=("train", "save", "evaluate", "load", "predict"),
       fix="accept Sedna's keyword names (`train_data`, `valid_data`, `data`, `model_path`) and "
           "positional paths; evaluate the model at model_path, not the live one",
       requires=("train.result-json", "save.returns-existing-file", "evaluate.model-path",
                 "evaluate.agrees-with-predict", "load.round-trip", "load.path-and-url",
                 "load.second-load-replaces", "predict.extra-kwargs", "predict.deterministic"),
       since="1.2"),
    _c("sedna.inference",
       sentence="The inference worker's call shape works: a fresh backend `load(url)`s the "
                "deployed model and `predict(x, kwargs={...})` gives the trainer's predictions, "
                "for a single sample as for a batch.",
       methods=("load", "predict"),
       fix="accept a literal `kwargs=` keyword in predict and return one row per sample",
       requires=("load.round-trip", "load.path-and-url", "save.returns-existing-file",
                 "predict.extra-kwargs", "predict.one-row-per-sample", "predict.deterministic",
                 "predict.input-untouched"),
       since="1.2"),
    _c("sedna.federated-learning",
       sentence="Federated learning works: two clients start from the same weights, train on "
                "disjoint halves, send `get_weights()` through JSON; their FedAvg (by position, "
                "weighted by `len(train_data)`) set into both makes them predict identically and "
                "at least as accurately on the union as the worse client.",
       methods=("train", "get_weights", "set_weights", "predict"),
       fix="keep get_weights' order and shapes fixed, before and after training, and train from "
           "the weights set",
       requires=("weights.json-transport", "weights.fedavg", "train.changes-weights",
                 "train.valid-optional", "predict.deterministic"),
       since="1.2"),
    _c("sedna.multi-task",
       sentence="Multi-task models saved side by side with `save(model_name=\"task-N.<ext>\")` "
                "each load back, from the returned path, as that task's model.",
       methods=("save", "load", "predict"),
       fix="keep the requested name (append the framework suffix, never replace the extension) "
           "and return the file written",
       requires=("save.any-extension", "save.returns-existing-file", "load.round-trip",
                 "load.path-and-url", "predict.deterministic", "predict.input-untouched"),
       since="1.2"),
    _c("sedna.lifelong-no-data",
       sentence="`train()` without data raises a `TypeError` naming `train_data` (not a crash "
                "deep inside) and changes nothing.",
       methods=("train",),
       fix="make train_data a required parameter, or check it first",
       requires=("robust.train-rejects-bad-input",),
       since="1.2",
       observes=True),
    _c("sedna.set-backend-job",
       sentence="Through `set_backend`, with `BACKEND_TYPE` set as Sedna's worker pods set it and "
                "`config` carrying `base_model_url`/`model_url`/`model_name`, the backend "
                "fine-tunes from the base model and runs the incremental-learning steps.",
       methods=("set_backend", "train", "save", "evaluate"),
       fix="pass the config through unchanged and keep fine_tune=True so training starts from "
           "base_model_url",
       requires=("sedna.incremental-learning", "set_backend.config-reaches-backend",
                 "train.fine-tune-from-checkpoint"),
       capabilities=("has_set_backend", "registered_backend_type"),
       since="1.2",
       observes=True),
    # -- interop (profiles sharing an architecture tag) ------------------------------
    _c("interop.checkpoint",
       sentence="A checkpoint saved by this backend loads into every other profile of the same "
                "architecture with bit-identical predictions.",
       methods=("save", "load", "predict"),
       fix="write plain framework checkpoints with the network's own parameter names",
       requires=("load.round-trip",),
       since="1.2"),
    _c("interop.weights",
       sentence="Weights from this backend's `get_weights` `set_weights` into every other profile "
                "of the same architecture exactly.",
       methods=("get_weights", "set_weights"),
       fix="return the network's parameters in its own order, as float32 nested lists",
       requires=("weights.round-trip",),
       since="1.2"),
]

CLAUSES: dict[str, Clause] = {c.id: c for c in _ALL}

#: Every contract version, oldest first: the ones clauses appeared in, and this one.
CONTRACT_VERSIONS = tuple(sorted({c.since for c in _ALL} | {CONTRACT_VERSION}, key=version_key))


def newer_than(version: str) -> list[Clause]:
    """The clauses that appeared after contract ``version``, in registry order."""
    return [c for c in _ALL if version_key(c.since) > version_key(version)]


def version_problem(version: str) -> str | None:
    """Why ``version`` cannot be pinned (not a contract version of this suite), or ``None``."""
    if version in CONTRACT_VERSIONS:
        return None
    try:
        newer = version_key(version) > version_key(CONTRACT_VERSION)
    except ValueError:
        newer = False
    if newer:
        return (f"contract {version} is newer than this suite's ({CONTRACT_VERSION}): "
                "upgrade sedna-conformance")
    return (f"expected one of the contract versions {', '.join(CONTRACT_VERSIONS)}, got "
            f"{version!r}")


class Reading(enum.StrEnum):
    """How a model's state is read (see :mod:`.instruments`)."""

    WEIGHTS = "weights"  # through get_weights
    PREDICTIONS = "predictions"  # through predictions on a fixed probe batch


#: The clause each way of reading relies on: reading weights needs a stable
#: ``get_weights``, reading predictions a deterministic ``predict``.
INSTRUMENT_CLAUSES = {Reading.WEIGHTS: "weights.stable",
                      Reading.PREDICTIONS: "predict.deterministic"}


def _static_closure(clause_id: str) -> list[str]:
    found: list[str] = []
    queue = list(CLAUSES[clause_id].requires)
    while queue:
        current = queue.pop(0)
        if current not in found:
            found.append(current)
            queue.extend(CLAUSES[current].requires)
    return found


def direct_prerequisites(clause_id: str, instruments: tuple[Reading, ...] = ()) -> list[str]:
    """The clauses ``clause_id`` requires directly; an observing clause also requires the
    clause of each of ``instruments``, unless that clause itself rests on it.
    """
    clause = CLAUSES[clause_id]
    direct = list(clause.requires)
    if clause.observes:
        for instrument in instruments:
            needed = INSTRUMENT_CLAUSES[instrument]
            if needed != clause_id and clause_id not in _static_closure(needed) \
                    and needed not in direct:
                direct.append(needed)
    return direct


def run_order() -> list[str]:
    """Every clause id, each after its prerequisites (for either instrument), otherwise in
    registry order.
    """
    done: list[str] = []
    both = tuple(INSTRUMENT_CLAUSES)

    def visit(clause_id: str, path: tuple[str, ...]) -> None:
        if clause_id in done:
            return
        if clause_id in path:
            raise ValueError(f"prerequisite cycle: {' -> '.join((*path, clause_id))}")
        for required in direct_prerequisites(clause_id, both):
            visit(required, (*path, clause_id))
        done.append(clause_id)

    for clause_id in CLAUSES:
        visit(clause_id, ())
    return done


def prerequisites(clause_id: str, instrument: Reading | str | None = None) -> list[str]:
    """All clauses ``clause_id`` depends on, directly or not, nearest first, when the
    model's state is read with ``instrument`` (``None``: the registry's ``requires`` only).
    """
    instruments = (Reading(instrument),) if instrument else ()
    found: list[str] = []
    queue = direct_prerequisites(clause_id, instruments)
    while queue:
        current = queue.pop(0)
        if current not in found:
            found.append(current)
            queue.extend(direct_prerequisites(current, instruments))
    return found


def get_clause(clause_id: str) -> Clause:
    """The clause ``clause_id``, or ``KeyError`` listing the close ones."""
    try:
        return CLAUSES[clause_id]
    except KeyError:
        close = [c for c in CLAUSES if c.split(".")[0] == clause_id.split(".")[0]]
        raise KeyError(f"unknown clause {clause_id!r}; clauses of that group: {close}") from None


def match(pattern: str) -> list[str]:
    """Clause ids matching a glob such as ``weights.*``."""
    return [c for c in CLAUSES if fnmatch.fnmatchcase(c, pattern)]
