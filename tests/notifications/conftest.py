import pytest

from notifications.services import forget_endpoints


@pytest.fixture
def fresh_endpoints():
    """The active endpoints are cached for a minute: no test's endpoints reach another."""
    forget_endpoints()
    yield
    forget_endpoints()
