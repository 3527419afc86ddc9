"""AUTH_MODE=required: CDS Hooks 2.0 client JWTs checked with real EC/RSA keys against a JWKS served on loopback."""
import json
import time
from datetime import datetime

import jwt
import pytest
from auth_keys import JwksServer, ec_key, mint, rsa_key
from cryptography.hazmat.primitives.asymmetric import ec
from hook_requests import feedback_for, lbp_request

from cds_service.app import create_app
from cds_service.config import SANDBOX_ISSUER, ConfigError, Settings
from hooks.engine import Engine

ISS = "https://ehr.example.org"
BASE = "http://localhost"  # what the Flask test client calls
SELECT = "/cds-services/imaging-auc-select"


@pytest.fixture(scope="module")
def keys():
    return {"ec": ec_key(), "rsa": rsa_key(), "ec256": ec_key("ec-256", ec.SECP256R1(), "ES256"),
            "rotated": rsa_key("rsa-rotated"), "attacker": ec_key()}  # attacker: same kid "ec-384", other key


@pytest.fixture(scope="module")
def jwks(keys):
    server = JwksServer({"/ehr/jwks.json": {"keys": [keys[k].jwk() for k in ("ec", "rsa", "ec256")]},
                         "/ehr/rotated.json": {"keys": [keys["rotated"].jwk()]},
                         "/evil/jwks.json": {"keys": [keys["attacker"].jwk()]}})
    yield server
    server.close()


@pytest.fixture(scope="module")
def engine():
    return Engine.create()


def auth_env(jwks, tmp_path, **extra) -> dict:
    issuers = {ISS: {"jwks_url": jwks.url("/ehr/jwks.json"), "jku": [jwks.url("/ehr/rotated.json")]}}
    return {"AUTH_MODE": "required", "AUTH_ISSUERS": json.dumps(issuers),
            "DATABASE_URL": f"sqlite:///{tmp_path}/cds.sqlite3", **extra}


@pytest.fixture
def app(engine, jwks, tmp_path):
    return create_app(Settings.from_env(auth_env(jwks, tmp_path)), engine=engine)


@pytest.fixture
def client(app):
    return app.test_client()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def call(client, token: str | None, path: str = SELECT):
    headers = bearer(token) if token else {}
    if path == "/cds-services":
        return client.get(path, headers=headers)
    return client.post(path, json=lbp_request(), headers=headers)


def assert_401(response):
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return response.get_json()["message"]


@pytest.mark.parametrize("key", ["ec", "rsa", "ec256"])
def test_a_valid_token_is_accepted(client, keys, key):
    assert call(client, mint(keys[key], ISS, BASE + SELECT)).status_code == 200


def test_a_token_whose_allowlisted_jku_names_another_key_set_is_accepted(client, keys, jwks):
    token = mint(keys["rotated"], ISS, BASE + SELECT, header={"jku": jwks.url("/ehr/rotated.json")})
    assert call(client, token).status_code == 200


def test_discovery_and_feedback_need_a_token_too(client, keys):
    assert_401(call(client, None, "/cds-services"))
    assert call(client, mint(keys["ec"], ISS, BASE + "/cds-services"), "/cds-services").status_code == 200
    card = call(client, mint(keys["ec"], ISS, BASE + SELECT)).get_json()["cards"][0]
    assert_401(client.post(SELECT + "/feedback", json=feedback_for(card)))
    assert_401(client.post(SELECT + "/feedback", json=feedback_for(card),  # the hook's token is not the feedback's
                           headers=bearer(mint(keys["ec"], ISS, BASE + SELECT))))
    response = client.post(SELECT + "/feedback", json=feedback_for(card),
                           headers=bearer(mint(keys["ec"], ISS, BASE + SELECT + "/feedback")))
    assert response.status_code == 200


def token(key: str | None, aud: str = BASE + SELECT, iss: str = ISS, jku: str | None = None, **kwargs):
    """A token factory (keys, jwks) -> JWT signed by the named test key; None: unsigned or HMAC (`secret`)."""
    def make(keys, jwks):
        extra = dict(kwargs)
        if jku:
            extra["header"] = {"jku": jwks.url(jku)}
        return mint(keys[key] if key else None, iss, aud, **extra)
    return make


def later(seconds: int) -> int:
    return int(time.time()) + seconds


NEGATIVE = {  # case: (what the 401 says, token)
    "forged signature": ("signature does not verify", token("attacker")),
    "wrong audience": ("aud must be", token("ec", aud=BASE + "/cds-services")),
    "audience of another service": ("aud must be", token("ec", aud=BASE + "/cds-services/imaging-auc-sign")),
    "expired": ("expired", token("ec", exp=later(-600), iat=later(-900))),
    "issued in the future": ("not valid yet", token("ec", iat=later(600), exp=later(900))),
    "lifetime over an hour": ("more than 3600 s", token("ec", exp=later(2 * 86400))),
    "unknown issuer": ("issuer is not trusted", token("ec", iss="https://elsewhere.example.org")),
    "sandbox issuer outside the demo profile": ("issuer is not trusted", token("ec", iss=SANDBOX_ISSUER)),
    "alg none": ("'none' is not accepted", token(None)),
    "HS256": ("'HS256' is not accepted", token(None, secret=b"a-shared-secret-of-32-bytes-long!")),
    "HS384": ("'HS384' is not accepted", token(None, secret=b"x" * 48, alg="HS384")),
    "no jti": ("jti claim is required", token("ec", drop=("jti",))),
    "no exp": ("exp claim is required", token("ec", drop=("exp",))),
    "no iat": ("iat claim is required", token("ec", drop=("iat",))),
    "no aud": ("aud claim is required", token("ec", drop=("aud",))),
    "unknown kid": ("no key with the token's kid", token("ec", header={"kid": "no-such-key"})),
    "jku not on the allowlist": ("jku is not on", token("attacker", jku="/evil/jwks.json")),
    "typ not JWT": ("typ must be JWT", token("ec", header={"typ": "at+jwt"})),
    "not a JWT": ("not a well-formed JWT", lambda keys, jwks: "not.a.jwt"),
}


@pytest.mark.parametrize("case", NEGATIVE)
def test_a_bad_token_is_a_401_with_a_json_error(client, keys, jwks, case):
    before = dict(jwks.hits)
    expected, make = NEGATIVE[case]
    assert expected in assert_401(call(client, make(keys, jwks)))
    assert jwks.hits.get("/evil/jwks.json", 0) == before.get("/evil/jwks.json", 0)  # a token's jku is never fetched


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_missing_or_non_bearer_authorization_is_a_401(client, header):
    assert "Authorization: Bearer" in assert_401(client.get("/cds-services", headers={"Authorization": header}))


def test_a_replayed_token_is_rejected_by_every_worker_until_it_expires(app, engine, jwks, tmp_path, keys):
    token = mint(keys["ec"], ISS, BASE + SELECT)
    assert call(app.test_client(), token).status_code == 200
    assert "already used" in assert_401(call(app.test_client(), token))
    other_worker = create_app(Settings.from_env(auth_env(jwks, tmp_path)), engine=engine)  # same database
    assert "already used" in assert_401(call(other_worker.test_client(), token))


def test_the_audience_is_the_public_url_behind_a_proxy(engine, jwks, tmp_path, keys):
    env = auth_env(jwks, tmp_path, PUBLIC_BASE_URL="https://cds.example.org/imaging/")
    client = create_app(Settings.from_env(env), engine=engine).test_client()
    assert_401(call(client, mint(keys["ec"], ISS, BASE + SELECT)))
    assert call(client, mint(keys["ec"], ISS, "https://cds.example.org/imaging" + SELECT)).status_code == 200


def test_issuer_and_tenant_are_recorded_with_the_audit_and_feedback(app, client, keys):
    token = mint(keys["ec"], ISS, BASE + SELECT, tenant="hospital-7")
    card = call(client, token).get_json()["cards"][0]
    client.post(SELECT + "/feedback", json=feedback_for(card),
                headers=bearer(mint(keys["ec"], ISS, BASE + SELECT + "/feedback", tenant="hospital-7")))
    storage = app.extensions["storage"]
    for kind in ("audit", "feedback"):
        [row] = storage.export(kind, datetime(2000, 1, 1), datetime(2100, 1, 1))
        assert (row["issuer"], row["tenant"]) == (ISS, "hospital-7")


def test_cors_preflight_needs_no_token(client):
    response = client.options(SELECT + "/feedback", headers={
        "Origin": "https://ehr.example.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 200
    allowed = response.headers["Access-Control-Allow-Headers"].lower()
    assert "authorization" in allowed and "content-type" in allowed
    assert response.headers["Access-Control-Allow-Origin"] in ("*", "https://ehr.example.org")
    rejected = client.get("/cds-services", headers={"Origin": "https://ehr.example.org"})
    assert rejected.status_code == 401 and rejected.headers["Access-Control-Allow-Origin"]  # readable by the page


def test_tokens_are_not_logged(client, keys, caplog):
    token = mint(keys["attacker"], ISS, BASE + SELECT)
    assert_401(call(client, token))
    assert token.split(".")[2] not in caplog.text and token.split(".")[1] not in caplog.text


def test_auth_configuration():
    assert Settings.from_env({}).auth_mode == "off"
    with pytest.raises(ConfigError, match="needs AUTH_ISSUERS"):
        Settings.from_env({"AUTH_MODE": "required"})
    with pytest.raises(ConfigError, match="AUTH_MODE"):
        Settings.from_env({"AUTH_MODE": "sometimes"})
    with pytest.raises(ConfigError, match="https"):
        Settings.from_env({"AUTH_ISSUERS": json.dumps({ISS: {"jwks_url": "http://ehr.example.org/jwks"}})})
    with pytest.raises(ConfigError, match="jwks_url or a jku"):
        Settings.from_env({"AUTH_ISSUERS": json.dumps({ISS: {}})})
    assert SANDBOX_ISSUER not in {i.iss for i in Settings.from_env({"AUTH_MODE": "required", "AUTH_ISSUERS": json.dumps(
        {ISS: {"jwks_url": "https://ehr.example.org/jwks"}})}).auth_issuers}
    demo = Settings.from_env({"AUTH_MODE": "required", "AUTH_PROFILE": "demo"})
    assert [i.iss for i in demo.auth_issuers] == [SANDBOX_ISSUER]


def test_pyjwt_would_accept_the_forged_kid_if_the_key_set_were_taken_from_the_token(keys):
    """Guards the forged-signature case: the attacker's token is a valid JWT under its own key, so only the
    allowlisted key set stands between it and a 200."""
    token = mint(keys["attacker"], ISS, BASE + SELECT)
    claims = jwt.decode(token, keys["attacker"].private.public_key(), algorithms=["ES384"], audience=BASE + SELECT)
    assert claims["iss"] == ISS
