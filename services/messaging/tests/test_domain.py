import pytest

from messaging.domain.conversations import check_text
from servicekit.errors import InvalidArgument


def test_text_up_to_the_limit_is_kept_and_longer_text_refused():
    assert check_text("x" * 10, max_length=10) == "x" * 10
    with pytest.raises(InvalidArgument) as err:
        check_text("x" * 11, max_length=10)
    assert err.value.violations[0].field == "text"
