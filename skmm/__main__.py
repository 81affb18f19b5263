"""``python -m skmm``: see :mod:`skmm._cli`."""

import sys

from skmm._cli import main

if __name__ == "__main__":
    sys.exit(main())
