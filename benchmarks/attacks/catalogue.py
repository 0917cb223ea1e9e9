"""The attack catalogue: bad inputs, backend faults, data-loss scenarios and signals, as
data. Each attack runs the real CLI on the fast ``numpy-reference`` profile (or the hostile
profiles of :mod:`tests.attack_profiles` and :mod:`tests.interrupt_profiles`, built on its
backend) with a few clauses, so that each takes seconds.
"""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Mapping
from typing import Any

from benchmarks.attacks.checks import (
    AllPassed,
    Charged,
    Check,
    MarkedInterrupted,
    OneRunRefused,
    OutputMentions,
    OutsideLacks,
    PreviousIntact,
    ReportsWritten,
    SizesCapped,
    Verbatim,
)
from benchmarks.attacks.model import Attack, Folder, Kind, Launcher, Outcome, Shot

__all__ = ["ATTACKS"]

NUMPY = "numpy-reference"
_PROFILES = "tests.attack_profiles"
HOSTILE = f"{_PROFILES}:hostile_profile"
MISBEHAVING = "tests.interrupt_profiles:misbehaving_profile"
_QUICK = ("train.learns",)
_PREDICT = ("predict.*",)
_CHILDREN = ("predict.one-row-per-sample", "ckpt.interrupted-save", "ckpt.concurrent-saves")
_HUGE = 20_000_000


def run(*extra: str, profiles: tuple[str, ...] = (NUMPY,),
        clauses: tuple[str, ...] = _QUICK, report_dir: str = "{reports}") -> tuple[str, ...]:
    """``run --report-dir ... --profile ... --clause ...`` followed by ``extra``."""
    args = ["run", "--report-dir", report_dir]
    for profile in profiles:
        args += ["--profile", profile]
    for clause in clauses:
        args += ["--clause", clause]
    return (*args, *extra)


# -- bad inputs ------------------------------------------------------------------------------

def _bad(name: str, what: str, args: tuple[str, ...], *names: str,
         expect: tuple[Outcome, ...] = (Outcome.USAGE,), folder: Folder = Folder.PREVIOUS,
         files: Mapping[str, str] | None = None) -> Attack:
    return Attack(name, Kind.BAD_INPUT, what, args, expect, names=names, folder=folder,
                  files=files or {})


def _profile_mistake(name: str, what: str, attribute: str, *names: str,
                     profiles: tuple[str, ...] = (NUMPY,)) -> Attack:
    attack = _bad(name, what, run(profiles=(f"{_PROFILES}:{attribute}",)), attribute, *names)
    return dataclasses.replace(attack, profiles=profiles)


def _module(name: str, body: str, what: str) -> Attack:
    module = name.replace("-", "_")
    return _bad(name, what, run(profiles=(f"{module}:profile",)), module,
                files={f"{module}.py": body})


def _timeout(value: str, what: str) -> Attack:
    return _bad(f"clause-timeout-{value or 'empty'}", what,
                run("--clause-timeout", value, "--isolate"), "--clause-timeout")


_REPORT_DIR = (Outcome.REPORT_FOLDER,)
_REPORT_DIR_OR_USAGE = (Outcome.REPORT_FOLDER, Outcome.USAGE)

BAD_INPUTS = (
    _bad("unknown-profile", "--profile names no registered profile",
         run(profiles=("no-such-profile",)), "no-such-profile"),
    _bad("profile-missing-module", "--profile module:attr whose module does not exist",
         run(profiles=("no_such_module:profile",)), "no_such_module"),
    _profile_mistake("profile-missing-attribute",
                     "--profile module:attr whose attribute does not exist", "no_such_attr"),
    _module("raises-on-import", "raise RuntimeError('broken on import')\n",
            "the profile module raises when imported"),
    _module("exits-0-on-import", "import sys\nsys.exit(0)\n",
            "the profile module calls sys.exit(0) when imported"),
    _module("exits-3-on-import", "import sys\nsys.exit(3)\n",
            "the profile module calls sys.exit(3) when imported"),
    _module("syntax-error", "def profile(:\n", "the profile module has a syntax error"),
    _module("imports-missing", "import no_such_dependency\n",
            "the profile module imports a module that is not installed"),
    _profile_mistake("not-a-profile", "the attribute is 42, not a profile", "NOT_A_PROFILE"),
    _profile_mistake("factory-returns-none", "the profile function returns None",
                     "returns_none"),
    _profile_mistake("factory-raises", "the profile function raises", "raises_when_called"),
    _profile_mistake("list-with-non-profile", "a list holding a string beside a profile",
                     "mixed_list"),
    _bad("profile-empty", "--profile ''", run(profiles=("",)), "--profile", "profile ''"),
    _bad("profile-colon", "--profile ':'", run(profiles=(":",)), "':'"),
    _bad("profile-empty-attribute", "--profile 'module:' (no attribute)",
         run(profiles=(f"{_PROFILES}:",)), _PROFILES),
    _bad("duplicate-profile", "the same profile named twice",
         run(profiles=(NUMPY, NUMPY)), NUMPY),
    _profile_mistake("duplicate-names", "a list of two profiles with one name",
                     "duplicate_names", NUMPY),
    _profile_mistake("negative-tolerance", "Tolerances(batch_atol=-1)", "negative_tolerance",
                     "batch_atol"),
    _profile_mistake("threshold-above-one", "Tolerances(accuracy_threshold=2.0)",
                     "threshold_above_one", "accuracy_threshold"),
    _profile_mistake("nan-tolerance", "Tolerances(batch_rtol=nan)", "nan_tolerance",
                     "batch_rtol"),
    _profile_mistake("preload-string", 'preload="numpy" (a string, not a tuple)',
                     "preload_string", "preload"),
    _profile_mistake("empty-profile-name", "Profile(name='')", "empty_name", "name"),
    _profile_mistake("unmatched-expected-failure",
                     "expected_failures names a clause that does not exist",
                     "unmatched_expected_failure", "no.such-clause"),
    _profile_mistake("backend-not-a-class", "Profile.backend is a function",
                     "backend_not_a_class", "backend"),
    _profile_mistake("profile-name-with-slash", "Profile(name='team/backend'): a name that "
                     "cannot name a folder or a test id part", "slash_name_profile",
                     "team/backend", profiles=("team/backend",)),
    _bad("report-dir-is-a-file", "--report-dir names a file", run(), "--report-dir",
         expect=_REPORT_DIR, folder=Folder.FILE),
    _bad("report-dir-under-a-file", "--report-dir would be inside a file", run(),
         "--report-dir", expect=_REPORT_DIR, folder=Folder.UNDER_FILE),
    _bad("report-dir-unwritable", "--report-dir would be made in a read-only folder "
         "(as an ordinary user)", run(), "--report-dir", expect=_REPORT_DIR,
         folder=Folder.UNDER_READ_ONLY),
    _bad("report-dir-empty", "--report-dir ''", run(report_dir=""), "--report-dir",
         expect=_REPORT_DIR_OR_USAGE),
    _bad("report-dir-dev-null", "--report-dir /dev/null", run(report_dir="/dev/null"),
         "--report-dir", expect=_REPORT_DIR),
    _bad("report-dir-name-too-long", "--report-dir with a 300-character name",
         run(report_dir="{outside}/" + "x" * 300), "--report-dir",
         expect=_REPORT_DIR_OR_USAGE),
    _timeout("0", "--clause-timeout 0"),
    _timeout("-1", "--clause-timeout -1"),
    _timeout("inf", "--clause-timeout inf"),
    _timeout("nan", "--clause-timeout nan"),
    _timeout("abc", "--clause-timeout abc"),
    _timeout("", "--clause-timeout ''"),
    _timeout("1e400", "--clause-timeout 1e400 (infinite once parsed)"),
    _bad("unknown-clause", "--clause matches no clause id",
         run(clauses=("no.such-clause",)), "no.such-clause"),
    _bad("clause-empty", "--clause ''", run(clauses=("",)), "--clause"),
    _bad("s3-endpoint-ftp", "--s3-endpoint ftp://...",
         run("--s3-endpoint", "ftp://example.invalid", "--s3-bucket", "b"), "--s3-endpoint"),
    _bad("s3-endpoint-without-bucket", "--s3-endpoint without --s3-bucket",
         run("--s3-endpoint", "http://127.0.0.1:9"), "--s3-bucket"),
    _bad("s3-endpoint-not-a-url", "--s3-endpoint 'not a url'",
         run("--s3-endpoint", "not a url", "--s3-bucket", "b"), "--s3-endpoint"),
    _bad("s3-endpoint-no-host", "--s3-endpoint http://",
         run("--s3-endpoint", "http://", "--s3-bucket", "b"), "--s3-endpoint"),
    _bad("s3-bucket-without-endpoint", "--s3-bucket without --s3-endpoint",
         run("--s3-bucket", "b"), "--s3-bucket"),
    _bad("hypothesis-bogus", "--hypothesis bogus", run("--hypothesis", "bogus"),
         "--hypothesis"),
    _bad("hypothesis-empty", "--hypothesis ''", run("--hypothesis", ""), "--hypothesis"),
    _bad("isolate-with-xdist", "--isolate -n 2", run("--isolate", "-n", "2"), "--isolate"),
    _bad("isolating-profile-with-xdist", "-n 2 with a profile that asks for isolate=True",
         run("-n", "2", profiles=(f"{_PROFILES}:isolated",)), "isolate"),
    _bad("xdist-n-abc", "-n abc", run("-n", "abc"), "-n", "abc"),
    _bad("unknown-option", "an option nobody knows", run("--bogus-option"), "--bogus-option"),
    _bad("bad-k-expression", "-k with a syntax error", run("-k", "and ("), "-k"),
    _bad("maxfail-abc", "--maxfail abc", run("--maxfail", "abc"), "--maxfail"),
    _bad("positional-path", "a stray positional argument (a path that does not exist)",
         run("no_such_path"), "no_such_path"),
    _bad("no-command", "no command at all", (), "command", "run"),
    _bad("unknown-command", "a misspelt command", ("runn",), "runn"),
    _bad("list-extra-argument", "list with an argument it does not take", ("list", "extra"),
         "extra"),
    _bad("merge-missing-file", "merge a report that does not exist",
         ("merge", "{outside}/none.json", "--report-dir", "{reports}"), "none.json"),
    _bad("merge-not-json", "merge a file that is not JSON",
         ("merge", "garbage.json", "--report-dir", "{reports}"), "garbage.json",
         files={"garbage.json": "not json\n"}),
    _bad("merge-nothing", "merge with no report", ("merge", "--report-dir", "{reports}"),
         "REPORT", "report"),
)


# -- backend faults --------------------------------------------------------------------------

_ONE_FAILED = Charged()
#: The name of the profile each ``--profile`` spec used here gives.
_NAMES = {NUMPY: NUMPY, HOSTILE: "hostile", MISBEHAVING: "misbehaving",
          "cwd_profile:profile": "hostile", f"{_PROFILES}:remote_profile": "hostile",
          f"{_PROFILES}:markup_name_profile": "evil|name <img src=x onerror=alert(1)> *b* `c`"}


def _fault(name: str, fault: str, what: str, *, isolate: bool, method: str = "predict",
           clauses: tuple[str, ...] = _PREDICT, charged: Check | None = _ONE_FAILED,
           expect: tuple[Outcome, ...] = (Outcome.FAILED,), checks: tuple[Check, ...] = (),
           extra: tuple[str, ...] = (), profile: str = HOSTILE, once: bool = True,
           env: Mapping[str, str] | None = None, timeout: str = "5",
           files: Mapping[str, str] | None = None, launcher: Launcher = Launcher.MODULE,
           timeout_s: float = 120.0) -> Attack:
    """A backend fault, ``fault`` of :mod:`tests.attack_profiles` (``''``: none, the attack
    is in the profile, the files or ``env``), in-process or under ``--isolate``.
    """
    isolation = ("--isolate", "--clause-timeout", timeout) if isolate else ()
    variables = {"SEDNA_ATTACK_FAULT": fault, "SEDNA_ATTACK_METHOD": method,
                 "SEDNA_ATTACK_ONCE": "1" if once else "0", **(env or {})}
    return Attack(f"{name}{' (--isolate)' if isolate else ''}", Kind.BACKEND_FAULT, what,
                  run(*isolation, *extra, profiles=(profile,), clauses=clauses), expect,
                  env=variables, checks=(*((charged,) if charged else ()), *checks),
                  profiles=(_NAMES[profile],), fault=fault or name, files=files or {},
                  launcher=launcher, timeout_s=timeout_s)


_CRASHED = Charged(("crashed",))
#: A reproduce line that keeps the options a rerun needs (lookaheads: in any order).
_REPRODUCE_ISOLATED = r"reproduce: (?=[^\n]*--isolate)(?=[^\n]*--clause-timeout[ =]3\b)"
_REPRODUCE_S3 = r"reproduce: (?=[^\n]*--s3-endpoint)(?=[^\n]*--s3-bucket)"
_ANY_FAILURE = Charged(("failed", "crashed", "error"))
_CAPPED = SizesCapped((("conformance.md", 1_000_000), ("conformance.html", 1_000_000),
                       ("junit.xml", 1_000_000), ("conformance.json", _HUGE + 1_000_000)),
                      output=1_000_000)
_MARKUP = Verbatim(("<script>", "<img"))
_CWD_PROFILE = {"cwd_profile.py": "from tests.attack_profiles import hostile_profile as profile\n"}
_SHADOW = {"numpy.py": "import os\n"
                       "open(os.path.join(os.environ['SEDNA_ATTACK_OUTSIDE'], 'shadow-imported'), "
                       "'w').close()\nraise ImportError('numpy.py of the working folder')\n"}
_ALL_PASS = ((Outcome.OK,), AllPassed())


def _both(name: str, fault: str, what: str, **kwargs: Any) -> tuple[Attack, Attack]:
    """The fault in-process and under ``--isolate``."""
    return (_fault(name, fault, what, isolate=False, **kwargs),
            _fault(name, fault, what, isolate=True, **kwargs))


BACKEND_FAULTS = (
    _fault("segfault", "segfault", "predict reads address 0 (SIGSEGV)", isolate=True,
           charged=_CRASHED),
    _fault("abort", "abort", "predict calls os.abort() (SIGABRT)", isolate=True,
           charged=_CRASHED),
    _fault("exit-0", "exit-0", "predict calls os._exit(0): the child ends 'successfully' "
           "mid-clause", isolate=True, charged=_CRASHED),
    _fault("exit-3", "exit-3", "train calls os._exit(3)", isolate=True, method="train",
           clauses=("train.*",), charged=Charged(("crashed", "error"))),
    _fault("hang", "sleep", "predict sleeps for 10 minutes (--clause-timeout 3); its "
           "reproduce line must keep --isolate and --clause-timeout", isolate=True,
           charged=Charged(("timed_out",), mentions=_REPRODUCE_ISOLATED), timeout="3"),
    _fault("hang-holding-gil", "spin", "predict runs a regular expression that holds the GIL "
           "for hours (--clause-timeout 2)", isolate=True, charged=Charged(("timed_out",)),
           timeout="2", timeout_s=150.0),
    _fault("keyboard-interrupt", "keyboard", "predict raises KeyboardInterrupt: in-process, "
           "the run stops as on Ctrl-C", isolate=False, charged=None,
           expect=(Outcome.INTERRUPTED,), checks=(MarkedInterrupted(),)),
    _fault("keyboard-interrupt", "keyboard", "predict raises KeyboardInterrupt", isolate=True,
           charged=Charged(("crashed", "failed"), mentions="KeyboardInterrupt")),
    *_both("system-exit", "system-exit", "predict calls sys.exit(0)",
           charged=Charged(("failed", "crashed"))),
    *_both("memory-error", "memory-error", "predict raises MemoryError"),
    _fault("journal-forgery", "", "the backend writes a forged 'passed' line and garbage "
           "into its isolated child's journal", isolate=True, profile=MISBEHAVING,
           env={"SEDNA_TEST_MODE": "journal"}, charged=None, expect=_ALL_PASS[0],
           checks=(_ALL_PASS[1],)),
    *_both("closes-stdout-stderr", "close-stdio", "predict closes file descriptors 1 and 2",
           charged=None, expect=_ALL_PASS[0], checks=(_ALL_PASS[1],)),
    *_both("chdir", "chdir", "the backend's constructor moves to another folder; the profile "
           "module is in the working folder and checkpoint children import it",
           method="__init__", clauses=_CHILDREN, profile="cwd_profile:profile",
           charged=None, expect=_ALL_PASS[0], checks=(_ALL_PASS[1],), files=_CWD_PROFILE),
    _fault("numpy-shadow", "", "a numpy.py in the working folder (the console script run "
           "from there) that would record being imported", isolate=True,
           clauses=_CHILDREN[:2], profile=NUMPY, charged=None, expect=_ALL_PASS[0],
           checks=(_ALL_PASS[1], OutsideLacks("shadow-imported", "numpy.py of the working "
                                              "folder was imported")),
           files=_SHADOW, launcher=Launcher.SCRIPT),
    *_both("huge-message", "huge-message", "predict raises a 20 MB message",
           checks=(_CAPPED,), timeout="120"),
    *_both("control-bytes", "control-bytes", "the message holds ESC sequences, NUL, BEL and BS",
           checks=(Verbatim(),)),
    *_both("lone-surrogates", "surrogate", "the message names a file whose name is not UTF-8 "
           "(lone surrogates)"),
    _fault("markup-message", "markup", "the message holds HTML, a Markdown table row and a "
           "code fence", isolate=False, checks=(_MARKUP,)),
    _fault("markup-profile-name", "", "the profile's name holds '|', an <img> tag, '*' and '`'",
           isolate=False, profile=f"{_PROFILES}:markup_name_profile", charged=None,
           expect=_ALL_PASS[0], checks=(_MARKUP,)),
    _fault("unprintable-exception", "unprintable", "predict raises an exception whose str() "
           "and repr() raise", isolate=False, charged=_ANY_FAILURE),
    _fault("nan-train-result", "nan-metrics", "train returns {'loss': nan}", isolate=False,
           method="train", clauses=("train.result-json",), once=False),
    _fault("inf-metrics", "inf-metrics", "evaluate returns an infinite accuracy and loss",
           isolate=False, method="evaluate", clauses=("evaluate.*",), once=False,
           charged=Charged(count=None)),
    _fault("nan-metrics", "nan-metrics", "evaluate returns a NaN accuracy and loss",
           isolate=True, method="evaluate", clauses=("evaluate.*",), once=False,
           charged=Charged(count=None)),
    *_both("secret-in-message", "secret-message", "the message quotes ACCESS_KEY_ID and "
           "SECRET_ACCESS_KEY"),
    *_both("secret-in-locals", "secret-local", "predict fails holding SECRET_ACCESS_KEY in a "
           "local, with pytest's -l (--showlocals)", extra=("-l",)),
    _fault("secret-printed", "secret-print", "predict prints the credentials to stdout and "
           "stderr, then fails", isolate=False),
    _fault("remote-clauses-with-showlocals", "", "the remote.* clauses fail (a backend "
           "claiming S3 support it lacks) with -l, the credentials in the children's "
           "environment", isolate=False, profile=f"{_PROFILES}:remote_profile",
           clauses=("remote.*",), extra=("-l",), charged=Charged(count=None)),
    _fault("remote-endpoint-down", "", "the remote.* clauses against an --s3-endpoint nothing "
           "listens on: their reproduce lines must keep --s3-endpoint and --s3-bucket",
           isolate=False, profile=f"{_PROFILES}:remote_profile", clauses=("remote.*",),
           extra=("--s3-endpoint", "http://127.0.0.1:9", "--s3-bucket", "attack-bucket"),
           charged=Charged(("failed", "error"), count=None, mentions=_REPRODUCE_S3)),
)


# -- data-loss scenarios ---------------------------------------------------------------------

def _loss(name: str, what: str, folder: Folder, expect: tuple[Outcome, ...],
          *checks: Check, args: tuple[str, ...] = run(), **fields: Any) -> Attack:
    return Attack(name, Kind.DATA_LOSS, what, args, expect, folder=folder, checks=checks,
                  **fields)


def _misbehaving(*extra: str, clauses: tuple[str, ...] = _PREDICT) -> tuple[str, ...]:
    return run(*extra, profiles=(MISBEHAVING,), clauses=clauses)


_SLEEPING = {"SEDNA_TEST_MODE": "sleep"}
_SPINNING = {"SEDNA_TEST_MODE": "spin"}
_MISBEHAVING = ("misbehaving",)

DATA_LOSS = (
    _loss("json-path-is-a-folder", "conformance.json is a folder (holding a file)",
          Folder.JSON_IS_FOLDER, _REPORT_DIR_OR_USAGE,
          OutputMentions("conformance.json", "which report it could not write")),
    _loss("junit-path-is-a-folder", "junit.xml is a folder (holding a file)",
          Folder.JUNIT_IS_FOLDER, _REPORT_DIR_OR_USAGE,
          OutputMentions("junit.xml", "which report it could not write")),
    _loss("read-only-report-folder", "the report folder, holding the previous reports, is "
          "read-only (as an ordinary user)", Folder.READ_ONLY, _REPORT_DIR,
          PreviousIntact(), OutputMentions("report", "which folder it could not write")),
    _loss("symlinked-report", "conformance.md is a symbolic link to a file outside the "
          "folder", Folder.SYMLINKED, (Outcome.OK,), ReportsWritten(("conformance.json",
                                                                      "conformance.md"))),
    _loss("two-runs-one-folder", "two runs started at once into one report folder",
          Folder.PREVIOUS, (Outcome.OK, Outcome.USAGE), OneRunRefused(),
          args=run(clauses=("train.*",)), concurrent=run(clauses=("predict.*",))),
    _loss("full-disk", "the report folder's file system is full (a private tmpfs; the new "
          "reports are larger than the previous ones)", Folder.FULL_DISK, _REPORT_DIR,
          OutputMentions(r"space|disk", "that the disk is full"),
          args=run(clauses=("train.*", "predict.*", "evaluate.*"))),
    _loss("stale-lock", "a killed run's lock file is in the report folder",
          Folder.STALE_LOCK, (Outcome.OK,), ReportsWritten(), AllPassed()),
    _loss("sigterm-over-previous", "a previous complete report set, then a run stopped by "
          "SIGTERM part-way", Folder.PREVIOUS, (Outcome.INTERRUPTED,), ReportsWritten(),
          MarkedInterrupted(), args=_misbehaving(), env=_SLEEPING,
          signals=(Shot(signal.SIGTERM),), profiles=_MISBEHAVING),
    _loss("sigkill-over-previous", "a previous complete report set, then a run killed "
          "(SIGKILL) part-way", Folder.PREVIOUS, (Outcome.KILLED,), PreviousIntact(),
          args=_misbehaving(), env=_SLEEPING, signals=(Shot(signal.SIGKILL),),
          profiles=_MISBEHAVING, clean_temp=False),
    _loss("double-ctrl-c", "Ctrl-C, then Ctrl-C again 0.05 s later while the run winds down",
          Folder.PREVIOUS, (Outcome.INTERRUPTED,), MarkedInterrupted(), args=_misbehaving(),
          env=_SLEEPING, signals=(Shot(signal.SIGINT, group=True),
                                  Shot(signal.SIGINT, 0.05, on_backend=False, group=True)),
          profiles=_MISBEHAVING),
)


# -- signals ---------------------------------------------------------------------------------

def _signal(name: str, what: str, shots: tuple[Shot, ...], *extra: str,
            env: Mapping[str, str] = _SLEEPING, expect: tuple[Outcome, ...] =
            (Outcome.INTERRUPTED,), profile: str = MISBEHAVING, **fields: Any) -> Attack:
    return Attack(name, Kind.SIGNAL, what, run(*extra, profiles=(profile,), clauses=_PREDICT),
                  expect, env=env, signals=shots, profiles=(_NAMES[profile],), **fields)


_ISOLATE = ("--isolate", "--clause-timeout", "60")
_MINDSPORE = {**_SLEEPING, "SEDNA_TEST_MINDSPORE": "1"}

SIGNALS = (
    _signal("ctrl-c", "Ctrl-C (SIGINT to the process group) while predict sleeps",
            (Shot(signal.SIGINT, group=True),)),
    _signal("sigterm", "SIGTERM while predict sleeps", (Shot(signal.SIGTERM),)),
    _signal("ctrl-c-isolated", "Ctrl-C while an isolated child's predict sleeps",
            (Shot(signal.SIGINT, group=True),), *_ISOLATE),
    _signal("sigterm-isolated", "SIGTERM while an isolated child's predict sleeps",
            (Shot(signal.SIGTERM),), *_ISOLATE),
    _signal("sigterm-isolated-gil", "SIGTERM while an isolated child holds the GIL",
            (Shot(signal.SIGTERM),), *_ISOLATE, env=_SPINNING),
    _signal("sigint-isolated-gil", "SIGINT to the supervisor's pid while an isolated child "
            "holds the GIL", (Shot(signal.SIGINT),), *_ISOLATE, env=_SPINNING),
    _signal("sigkill-supervisor", "SIGKILL to the supervisor while an isolated child holds "
            "the GIL", (Shot(signal.SIGKILL),), *_ISOLATE, env=_SPINNING,
            expect=(Outcome.KILLED,), clean_temp=False),
    _signal("ctrl-c-after-mindspore", "Ctrl-C after MindSpore installed its own SIGINT "
            "handler", (Shot(signal.SIGINT, group=True),), env=_MINDSPORE, timeout_s=240.0),
    _signal("sigterm-after-mindspore", "SIGTERM after MindSpore started its runtime",
            (Shot(signal.SIGTERM),), env=_MINDSPORE, timeout_s=240.0),
    _signal("sigterm-at-start", "SIGTERM 0.3 s after the start, before any clause",
            (Shot(signal.SIGTERM, 0.3, on_backend=False),),
            expect=(Outcome.INTERRUPTED, Outcome.KILLED)),
    _signal("sigterm-with-grandchild", "SIGTERM while an isolated backend's own child "
            "process (sleep 300) runs", (Shot(signal.SIGTERM),), *_ISOLATE, profile=HOSTILE,
            env={"SEDNA_ATTACK_FAULT": "grandchild"}),
    _signal("sigterm-backend-ignores-signals", "SIGTERM while an isolated backend that set "
            "SIGINT and SIGTERM to be ignored sleeps", (Shot(signal.SIGTERM),), *_ISOLATE,
            profile=HOSTILE, env={"SEDNA_ATTACK_FAULT": "ignore-signals"}),
    _signal("sigterm-xdist", "SIGTERM to a run with -n 2 (pytest-xdist workers)",
            (Shot(signal.SIGTERM, 1.0),), "-n", "2"),
    _signal("ctrl-c-xdist", "Ctrl-C to a run with -n 2", (Shot(signal.SIGINT, 1.0, group=True),),
            "-n", "2"),
)

#: Every attack, by kind.
ATTACKS: tuple[Attack, ...] = (*BAD_INPUTS, *BACKEND_FAULTS, *DATA_LOSS, *SIGNALS)
