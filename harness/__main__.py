"""``python -m sedna_conformance.harness``."""

import sys

from sedna_conformance.harness.cli import main

sys.exit(main())
