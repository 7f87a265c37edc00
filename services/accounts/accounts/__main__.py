"""`python -m accounts serve | migrate [--to REV] | seed | bench [--seconds S ...]`."""

from accounts.app import SPEC
from servicekit.cli import main

if __name__ == "__main__":
    main(SPEC)
