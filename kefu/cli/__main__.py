"""`python -m kefu.cli`: the same as the `kefu` command."""

import sys

from kefu.cli.main import main

sys.exit(main())
