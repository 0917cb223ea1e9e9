"""The options are written once (``harness/options.py``'s ``OPTIONS``): the pytest options,
the command line's ``run`` options, the spellings messages use and what an isolated child
does not inherit all come from that table, and what the command line is given reaches
the plugin unchanged.
"""

from __future__ import annotations

import argparse

from sedna_conformance.harness import cli
from sedna_conformance.harness.options import CLI_SPELLINGS, OPTIONS, PARENT_ONLY, Kind

ARGV = ["--profile", "a", "--profile", "b:C", "--clause", "train.*", "--hypothesis", "dev",
        "--isolate", "--clause-timeout", "90", "--s3-endpoint", "http://127.0.0.1:9000",
        "--s3-bucket", "models"]


def _as_pytest_reads_it(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    for option in OPTIONS:
        parser.add_argument(option.pytest, **option.arguments(cli=False))
    return parser.parse_args(argv)


def test_what_the_command_line_is_given_reaches_the_plugin():
    args = cli.build_parser().parse_args(["run", *ARGV])
    passed = [arg for option in OPTIONS if option.cli
              for arg in option.passed_on(getattr(args, option.dest))]
    plugin = _as_pytest_reads_it(passed)
    assert plugin.conformance_profiles == ["a", "b:C"]
    assert plugin.conformance_clauses == ["train.*"]
    assert (plugin.conformance_hypothesis, plugin.conformance_isolate) == ("dev", True)
    assert float(plugin.conformance_clause_timeout) == 90.0
    assert (plugin.conformance_s3_endpoint, plugin.conformance_s3_bucket) == (
        "http://127.0.0.1:9000", "models")


def test_every_command_line_option_is_a_plugin_option_spelled_shorter():
    run = next(a for a in cli.build_parser()._subparsers._group_actions[0].choices.values()
               if a.prog.endswith(" run"))
    given = {s for action in run._actions for s in action.option_strings}
    assert set(CLI_SPELLINGS.values()) <= given
    assert given - set(CLI_SPELLINGS.values()) == {"-h", "--help", "--report-dir"}
    assert all(pytest_name == "--conformance-" + cli_name.removeprefix("--")
               for pytest_name, cli_name in CLI_SPELLINGS.items())


def test_help_names_options_as_the_reader_types_them():
    timeout = next(o for o in OPTIONS if o.dest == "conformance_clause_timeout")
    assert timeout.help_for(cli=True).startswith("with --isolate,")
    assert timeout.help_for(cli=False).startswith("with --conformance-isolate,")


def test_an_isolated_child_inherits_no_output_and_no_isolation():
    assert PARENT_ONLY == {"--conformance-report": True, "--conformance-markdown": True,
                           "--conformance-html": True, "--conformance-isolate": False,
                           "--sedna-child-journal": True}
    assert all(o.kind is not Kind.FLAG or not PARENT_ONLY.get(o.pytest) for o in OPTIONS)
