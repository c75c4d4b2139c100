"""WSGI entry point: `gunicorn wsgi:app` (`contact-center serve` does the same, migrations first)."""

import sys

from contact_center import create_app
from contact_center.app import freeze_startup_objects
from contact_center.config import ConfigError, load_settings
from contact_center.logs import configure_logging

try:
    settings = load_settings()
    configure_logging(settings.operations.log_format)
    app = create_app(settings)
    freeze_startup_objects()  # in each worker, or once before the fork with --preload
except ConfigError as error:
    print(f"contact-center: configuration error: {error}", file=sys.stderr)
    sys.exit(2)
