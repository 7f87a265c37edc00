"""`python -m messaging serve | migrate [--to REV] | seed`."""

from messaging.app import SPEC
from servicekit.cli import main

if __name__ == "__main__":
    main(SPEC)
