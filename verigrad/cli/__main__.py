"""``python -m verigrad.cli``: the same as the ``verigrad`` command."""
import sys

from . import main

sys.exit(main())
