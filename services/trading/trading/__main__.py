"""`python -m trading serve | migrate [--to REV] | seed`."""

from servicekit.cli import main
from trading.app import SPEC

if __name__ == "__main__":
    main(SPEC)
