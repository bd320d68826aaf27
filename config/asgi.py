"""The ASGI application: production settings unless DJANGO_SETTINGS_MODULE names others."""

from django.core.asgi import get_asgi_application

from config import settings_module

settings_module.use_default(settings_module.PRODUCTION)
application = get_asgi_application()
