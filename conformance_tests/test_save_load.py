"""save.* and load.*: model files where Sedna expects them, and exact round trips."""

from __future__ import annotations

import os

import numpy as np

from sedna_conformance.harness.kit.clause_run import ClauseRun
from sedna_conformance.harness.plugin.collection import clause


@clause("save.returns-existing-file")
def test_returns_existing_file(conformance: ClauseRun) -> None:
    c = conformance
    path = c.backend(trained=True).save()
    c.expect(isinstance(path, str) and os.path.isfile(path), f"save() returned {path!r}",
             "the path of an existing file")


@clause("save.any-extension")
def test_any_extension(conformance: ClauseRun) -> None:
    c = conformance
    path = c.backend(trained=True).save(model_name="task-1.model")
    c.expect(isinstance(path, str) and os.path.isfile(path),
             f"save(model_name='task-1.model') returned {path!r}, which does not exist",
             "the path of the file really written")


@clause("save.location")
def test_location(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.new_folder("models")
    path = c.backend(trained=True, model_save_path=folder, model_name="located" + c.suffix).save()
    c.expect(isinstance(path, str) and os.path.dirname(os.path.abspath(path)) == folder
             and os.path.basename(path).startswith("located"),
             f"save() wrote {path!r}", f"a file named like 'located{c.suffix}' in {folder!r}")


@clause("save.creates-folders")
def test_creates_folders(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.path("not", "yet", "there")
    path = c.backend(trained=True, model_save_path=folder).save()
    c.expect(isinstance(path, str) and os.path.isfile(path) and path.startswith(folder),
             f"save() returned {path!r}", f"a file inside the new folder {folder!r}")


@clause("save.replaces")
def test_replaces(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.new_folder("shared")
    c.backend(label="untrained", model_save_path=folder, model_name="m" + c.suffix).save()
    trained = c.backend(trained=True, label="trained", model_save_path=folder,
                        model_name="m" + c.suffix)
    path = trained.save()
    reader = c.backend(label="reader")
    reader.load(model_url=path)
    got, expected = c.state(reader), c.state(trained)
    c.expect(got.same(expected),
             f"the file holds the first save's model ({got.difference(expected)})",
             "the second save's model")


@clause("load.round-trip")
def test_round_trip(conformance: ClauseRun) -> None:
    c = conformance
    trained = c.backend(trained=True, label="trained")
    path = trained.save()
    fresh = c.backend(label="fresh")
    fresh.load(model_url=path)
    got, expected = c.state(fresh), c.state(trained)
    c.expect(got.same(expected), got.difference(expected), "a bit-identical model")
    a, b = c.array(fresh.predict(c.x())), c.array(trained.predict(c.x()))
    c.expect(np.array_equal(a, b), f"predictions differ by up to {np.abs(a - b).max():.3g}",
             "bit-identical predictions")


@clause("load.path-and-url")
def test_path_and_url(conformance: ClauseRun) -> None:
    c = conformance
    trained = c.backend(trained=True, label="trained")
    path = trained.save()
    for form in ("positional", "model_url"):
        fresh = c.backend(label=f"fresh_{form}")
        if form == "positional":
            fresh.load(path)
        else:
            fresh.load(model_url=path)
        got, expected = c.state(fresh), c.state(trained)
        c.expect(got.same(expected),
                 f"load({'path' if form == 'positional' else 'model_url=path'}) did "
                 f"not load it ({got.difference(expected)})", "the file's model")


@clause("load.second-load-replaces")
def test_second_load_replaces(conformance: ClauseRun) -> None:
    c = conformance
    trained_path = c.backend(trained=True, label="trained").save()
    other = c.backend(label="other")
    other_path = other.save()
    backend = c.backend(label="backend")
    backend.load(model_url=trained_path)
    backend.load(model_url=other_path)
    got, expected = c.state(backend), c.state(other)
    c.expect(got.same(expected), "the first model is still loaded after a second load "
             f"({got.difference(expected)})", "the second model")


@clause("load.missing-raises")
def test_missing_raises(conformance: ClauseRun) -> None:
    c = conformance
    backend = c.backend(trained=True)
    before = c.state(backend)
    missing = c.path("no-such-model" + c.suffix)
    error = c.expect_raises(FileNotFoundError, backend.load, model_url=missing)
    c.expect("no-such-model" in str(error), f"message {str(error)!r}", "it names the path")
    c.expect_unchanged(before, backend, "load() of a missing file")


@clause("load.load-weights")
def test_load_weights(conformance: ClauseRun) -> None:
    c = conformance
    folder = c.new_folder("models")
    trained = c.backend(trained=True, label="trained", model_save_path=folder)
    trained.save()
    fresh = c.backend(label="fresh", model_save_path=folder)
    fresh.load_weights()
    got, expected = c.state(fresh), c.state(trained)
    c.expect(got.same(expected), f"load_weights() left {got.difference(expected)}",
             "the saved model")
