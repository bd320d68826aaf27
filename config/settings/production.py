"""Production: every secret from the environment, no defaults for what must be set."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import STORAGES, env

DEBUG = False
# Marks these settings as production's: the demo seed (processes/demo.py) refuses to run under them.
KINERJA_PRODUCTION = True
# No default: a missing key stops start-up (ImproperlyConfigured).
SECRET_KEY = env("DJANGO_SECRET_KEY")
# The audit trail's key (docs/security/audit.md): no default, at least 32 characters (a short key
# could be guessed offline from the signatures stored in the database).
KINERJA_AUDIT_KEY = env("KINERJA_AUDIT_KEY")
if len(KINERJA_AUDIT_KEY) < 32:
    raise ImproperlyConfigured("KINERJA_AUDIT_KEY must be at least 32 characters long.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # a connection a database restart closed is replaced

# Static files: `manage.py collectstatic` writes them into STATIC_ROOT (DJANGO_STATIC_ROOT, default
# var/static) compressed (gzip, and Brotli where installed) under content-hashed names, which
# whitenoise serves with a year's caching: a deploy changes the names, so no browser keeps an old file.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"}}

# HTTPS: every plain-HTTP request is redirected (the proxy must set X-Forwarded-Proto), except the
# health probes, which a load balancer sends over plain HTTP inside the network.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
# HSTS: browsers use only HTTPS for this host for a year. Preload (the browsers' built-in list,
# hard to leave again) only when asked for.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True

# E-mail goes out by SMTP (DJANGO_EMAIL_HOST ...). A backend that delivers to no one (the console,
# memory, a file, nowhere) would mark every notification "sent" while nobody receives it, so it
# stops start-up unless KINERJA_ALLOW_CONSOLE_EMAIL=true says that is meant (a trial installation).
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
UNDELIVERED_EMAIL_BACKENDS = {
    f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "locmem", "filebased", "dummy")
}
if EMAIL_BACKEND in UNDELIVERED_EMAIL_BACKENDS and not env.bool("KINERJA_ALLOW_CONSOLE_EMAIL", default=False):
    raise ImproperlyConfigured(
        f"DJANGO_EMAIL_BACKEND={EMAIL_BACKEND} delivers no e-mail, yet notifications would be marked sent: "
        "configure SMTP (DJANGO_EMAIL_HOST ...), or set KINERJA_ALLOW_CONSOLE_EMAIL=true if that is meant."
    )
