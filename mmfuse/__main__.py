"""``python -m mmfuse`` is the ``mmfuse`` command."""

import sys

from .cli import main

sys.exit(main())
