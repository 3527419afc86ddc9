import pytest

from cds_service.app import create_app
from cds_service.config import Settings
from hooks.engine import Engine


@pytest.fixture(scope="session")
def engine():
    return Engine.create()


@pytest.fixture
def client(engine):
    return create_app(Settings(), engine=engine).test_client()


@pytest.fixture
def select(client):
    """POST a request to the order-select service and return the response."""
    def call(body, service="imaging-auc-select"):
        return client.post(f"/cds-services/{service}", json=body)
    return call
