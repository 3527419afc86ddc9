"""Flask application factory."""
from __future__ import annotations

from flask import Flask
from flask_cors import CORS

from cds_service import auth, errors, feedback, hook_endpoints, openapi, validation
from cds_service.config import Settings
from cds_service.storage import Storage, StorageUnavailable
from hooks.engine import Engine, EngineOptions


def engine_options(settings: Settings) -> EngineOptions:
    return EngineOptions(elderly_age=settings.elderly_age, info_cards=settings.info_cards,
                         qcdsm_id=settings.qcdsm_id, warn_confidences=settings.warn_confidences,
                         criteria_packs=settings.criteria_packs)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["SETTINGS"] = settings
    app.extensions["engine"] = engine or Engine.create(engine_options(settings))
    CORS(app, resources={r"/*": {"origins": list(settings.cors_origins)}},
         allow_headers=["Authorization", "Content-Type"], methods=["GET", "POST", "OPTIONS"], max_age=600)
    errors.register(app)
    app.extensions["storage"] = storage = Storage.open(settings.database_url, settings.sqlite_audit_sync)
    app.register_error_handler(StorageUnavailable, lambda _e: errors.error_response(
        503, "the service's database is unavailable; nothing was recorded"))
    auth.register(app, settings, storage)
    app.register_blueprint(hook_endpoints.bp)
    app.register_blueprint(feedback.bp)
    app.register_blueprint(openapi.bp)
    validation.warm("hook-request.schema.json")  # schemas and the OpenAPI document are built once, here
    openapi.document()
    return app
