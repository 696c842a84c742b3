"""``python -m <package>.runtime APP ...`` runs a worker: see ``worker.py``."""

import sys

from .worker import main

sys.exit(main())
