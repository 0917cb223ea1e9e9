"""Child processes for the crash clauses:
``python -m sedna_conformance.harness.child save-loop ...``.

The child rebuilds the profile from its ``--profile`` spec, loads the trained base
model into a fresh estimator, prints ``ready`` and saves in a loop, so the parent can
kill it part-way (SIGKILL) or run two at once.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Entry point of the child."""
    parser = argparse.ArgumentParser(prog="python -m sedna_conformance.harness.child")
    parser.add_argument("command", choices=["save-loop"])
    parser.add_argument("--profile", required=True, help="the --profile spec")
    parser.add_argument("--name", required=True, help="the profile's name within the spec")
    parser.add_argument("--weights-from", required=True, help="checkpoint for the estimator")
    parser.add_argument("--folder", required=True)
    parser.add_argument("--model-name", required=True)
    parser.add_argument("--times", type=int, default=100)
    parser.add_argument("--wait-go", action="store_true",
                        help="after 'ready', wait for a line on stdin before saving")
    args = parser.parse_args(argv)

    from sedna_conformance.harness.discovery import load_profiles

    profile = next(p for p in load_profiles(args.profile) if p.name == args.name)
    estimator = profile.estimator()
    estimator.load(model_url=args.weights_from)
    backend = profile.backend(estimator=estimator, fine_tune=False,
                              model_save_path=args.folder, model_name=args.model_name,
                              **dict(profile.options))
    print("ready", flush=True)
    if args.wait_go:
        sys.stdin.readline()
    for _ in range(args.times):
        backend.save()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
