"""The WSGI application (gunicorn config.wsgi): production settings unless DJANGO_SETTINGS_MODULE names others."""

from django.core.wsgi import get_wsgi_application

from config import settings_module

settings_module.use_default(settings_module.PRODUCTION)
application = get_wsgi_application()
