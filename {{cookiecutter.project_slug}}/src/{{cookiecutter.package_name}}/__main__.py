"""``python -m <package>`` is the run script."""

import sys

from .cli import main

sys.exit(main())
