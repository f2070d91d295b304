import pytest

from tests.factories import ClinicFactory


@pytest.fixture
def billing_clinic(db):
    """The clinic bills as the group: group NPI, EIN and a ZIP+4 address."""
    return ClinicFactory(postal_code="62701-1234")
