"""`python -m catalog serve | migrate [--to REV] | seed | bench [--items N] [--runs N]`."""

from catalog.app import SPEC
from servicekit.cli import main

if __name__ == "__main__":
    main(SPEC)
