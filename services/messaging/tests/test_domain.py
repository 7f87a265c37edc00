import pytest

from messaging.domain import MAX_TEXT, check_text
from servicekit.errors import InvalidArgument


def test_text_up_to_the_limit_is_kept_and_longer_text_refused():
    assert check_text("x" * MAX_TEXT) == "x" * MAX_TEXT
    with pytest.raises(InvalidArgument) as err:
        check_text("x" * (MAX_TEXT + 1))
    assert err.value.violations[0].field == "text"
