import pytest

from cds_service.app import create_app, engine_options
from cds_service.config import Settings
from hooks.engine import Engine


@pytest.fixture(scope="session")
def engine():
    return Engine.create()


@pytest.fixture
def make_client(engine, tmp_path):
    """A test client for given settings, with its own SQLite file and the shared criteria and code tables."""
    def build(**overrides):
        settings = Settings(database_url=f"sqlite:///{tmp_path}/cds.sqlite3", **overrides)
        configured = Engine(engine.criteria, engine.tables, engine_options(settings))
        return create_app(settings, engine=configured).test_client()
    return build


@pytest.fixture
def client(make_client):
    return make_client()


@pytest.fixture
def select(client):
    """POST a request to the order-select service and return the response."""
    def call(body, service="imaging-auc-select"):
        return client.post(f"/cds-services/{service}", json=body)
    return call
