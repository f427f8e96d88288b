"""``python -m ganapp``: see :mod:`ganapp.cli`."""

import sys

from .cli import main

sys.exit(main())
