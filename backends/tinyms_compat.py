"""Make TinyMS 0.3.2 importable on MindSpore 2.x.

TinyMS 0.3.2 (its last release) imports four MindSpore 1.x names that MindSpore 2.x
removed. :func:`apply` provides exactly those, built from their MindSpore 2.x
successors, and never replaces anything MindSpore still has:

=============================================  ==============================================
MindSpore 1.x name TinyMS imports              provided as
=============================================  ==============================================
``mindspore.dataset.vision.c_transforms``      module of ``mindspore.dataset.vision`` names
``mindspore.dataset.vision.py_transforms``     module of ``mindspore.dataset.vision`` names
``mindspore.dataset.transforms.c_transforms``  module of ``mindspore.dataset.transforms`` names
``mindspore._checkparam.Validator`` / ``Rel``  namespaces over ``mindspore._checkparam``'s
                                               module-level checks and ``INC_*`` constants
=============================================  ==============================================

A name whose operation MindSpore really removed (the SoftDVPP JPEG decoders) is
provided as a placeholder that raises :class:`RemovedInMindSpore2Error`, naming the
removed API, when it is *used*; importing TinyMS never fails because of it.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any, NoReturn

__all__ = ["RemovedInMindSpore2Error", "apply", "import_tinyms"]

# What each removed MindSpore 1.x module exported that TinyMS 0.3.2 star-imports.
_VISION_C_TRANSFORMS = (
    "AutoContrast", "BoundingBoxAugment", "CenterCrop", "CutMixBatch", "CutOut", "Decode",
    "Equalize", "Grayscale", "HWC2CHW", "Invert", "MixUpBatch", "Normalize", "Pad",
    "RandomAffine", "RandomColor", "RandomColorAdjust", "RandomCrop", "RandomCropDecodeResize",
    "RandomCropWithBBox", "RandomHorizontalFlip", "RandomHorizontalFlipWithBBox",
    "RandomPosterize", "RandomResize", "RandomResizedCrop", "RandomResizedCropWithBBox",
    "RandomResizeWithBBox", "RandomRotation", "RandomSelectSubpolicy", "RandomSharpness",
    "RandomSolarize", "RandomVerticalFlip", "RandomVerticalFlipWithBBox", "Rescale", "Resize",
    "ResizeWithBBox", "SoftDvppDecodeRandomCropResizeJpeg", "SoftDvppDecodeResizeJpeg",
    "UniformAugment",
)
_VISION_PY_TRANSFORMS = ("Grayscale", "RandomHorizontalFlip")
_COMMON_C_TRANSFORMS = (
    "Compose", "Concatenate", "Duplicate", "Fill", "Mask", "OneHot", "PadEnd", "RandomApply",
    "RandomChoice", "Slice", "TypeCast", "Unique",
)
_REL_NAMES = ("INC_NEITHER", "INC_LEFT", "INC_RIGHT", "INC_BOTH")

_applied: list[str] | None = None


class RemovedInMindSpore2Error(NotImplementedError):
    """A TinyMS feature was used that needs an API MindSpore 2.x removed."""


def _removed(qualname: str) -> type:
    """A stand-in class for ``qualname`` that raises when it is instantiated."""

    def _fail(*_args: Any, **_kwargs: Any) -> NoReturn:
        import mindspore

        raise RemovedInMindSpore2Error(
            f"{qualname} was removed in MindSpore 2.x (installed: {mindspore.__version__}) "
            "and has no successor; the TinyMS feature that uses it cannot run here"
        )

    name = qualname.rsplit(".", 1)[-1]
    return type(name, (), {"__init__": _fail, "__doc__": f"Removed: {qualname}.",
                           "__module__": qualname.rsplit(".", 1)[0]})


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _provide_module(name: str, source: str, names: tuple[str, ...]) -> bool:
    """Register ``name`` as a module re-exporting ``names`` from ``source``, if missing."""
    if name in sys.modules or _module_exists(name):
        return False
    src = importlib.import_module(source)
    module = types.ModuleType(name, f"MindSpore 1.x {name}, provided from {source} "
                                    "by sedna_conformance.backends.tinyms_compat.")
    for attr in names:
        value = getattr(src, attr, None)
        setattr(module, attr, value if value is not None else _removed(f"{name}.{attr}"))
    module.__all__ = list(names)  # type: ignore[attr-defined]
    parent_name, _, child = name.rpartition(".")
    sys.modules[name] = module
    setattr(sys.modules[parent_name], child, module)
    return True


class _Namespace(types.SimpleNamespace):
    """Attribute access over a module; unknown names fail when used, naming the API."""

    def __init__(self, qualname: str, module: types.ModuleType) -> None:
        super().__init__()
        object.__setattr__(self, "_qualname", qualname)
        object.__setattr__(self, "_module", module)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        try:
            return getattr(self._module, attr)
        except AttributeError:
            return _removed(f"{self._qualname}.{attr}")


def _provide_checkparam() -> list[str]:
    checkparam = importlib.import_module("mindspore._checkparam")
    provided = []
    if not hasattr(checkparam, "Validator"):
        checkparam.Validator = _Namespace(  # type: ignore[attr-defined]
            "mindspore._checkparam.Validator", checkparam)
        provided.append("mindspore._checkparam.Validator")
    if not hasattr(checkparam, "Rel"):
        rel = types.SimpleNamespace(**{n: getattr(checkparam, n) for n in _REL_NAMES})
        checkparam.Rel = rel  # type: ignore[attr-defined]
        provided.append("mindspore._checkparam.Rel")
    return provided


def apply() -> list[str]:
    """Provide the MindSpore 1.x names TinyMS imports; return the ones provided.

    Idempotent: later calls return the first call's list and change nothing.
    """
    global _applied
    if _applied is not None:
        return list(_applied)
    provided = []
    modules = (
        ("mindspore.dataset.vision.c_transforms", "mindspore.dataset.vision",
         _VISION_C_TRANSFORMS),
        ("mindspore.dataset.vision.py_transforms", "mindspore.dataset.vision",
         _VISION_PY_TRANSFORMS),
        ("mindspore.dataset.transforms.c_transforms", "mindspore.dataset.transforms",
         _COMMON_C_TRANSFORMS),
    )
    for name, source, names in modules:
        if _provide_module(name, source, names):
            provided.append(name)
    provided.extend(_provide_checkparam())
    _applied = provided
    return list(provided)


def import_tinyms(module: str = "tinyms") -> types.ModuleType:
    """Apply the compatibility layer, then import and return ``module`` (a ``tinyms.*`` name)."""
    apply()
    return importlib.import_module(module)
