"""WSGI entry point, used by gunicorn (and by runserver, through WSGI_APPLICATION)."""

import os

from django.core.wsgi import get_wsgi_application

from project.chunked import ChunkedBodyMiddleware

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

application = ChunkedBodyMiddleware(get_wsgi_application())
