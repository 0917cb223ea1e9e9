"""``python -m sedna_conformance.harness.processes.s3_server``: moto's S3 server on 127.0.0.1 and a
free port. Prints the port, serves until its standard input closes, then stops.

Started by :func:`sedna_conformance.harness.processes.servers.local_s3`, in its own process, so the
server's settings (authentication on) never touch the process running the suite.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Serve until standard input closes."""
    from moto.server import ThreadedMotoServer

    from sedna_conformance.harness.processes.groups import die_with_parent

    die_with_parent()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    print(server.get_host_and_port()[1], flush=True)
    sys.stdin.read()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
