"""``python -m tapegrad``: the same as the ``tapegrad`` command."""

import sys

from .cli import main

sys.exit(main())
