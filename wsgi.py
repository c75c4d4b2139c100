"""WSGI entry point: `gunicorn wsgi:app`."""

import sys

from ivr import create_app
from ivr.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    print(f"contact-center: configuration error: {error}", file=sys.stderr)
    sys.exit(2)
