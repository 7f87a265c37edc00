import pytest

from messaging.domain.messages import Content, check_content
from servicekit.errors import InvalidArgument


def test_text_up_to_the_limit_is_kept_and_longer_text_refused():
    assert check_content(Content("x" * 10), max_length=10, images_enabled=True).text == "x" * 10
    with pytest.raises(InvalidArgument) as err:
        check_content(Content("x" * 11), max_length=10, images_enabled=True)
    assert err.value.violations[0].field == "text"
