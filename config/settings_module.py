"""Which settings a process runs with: ``DJANGO_SETTINGS_MODULE`` when the environment sets it,
otherwise its entry point's default: development's (``config.settings.local``) for ``manage.py``
and the Celery command line, production's for ``config/wsgi.py`` and ``config/asgi.py``.

Every entry point imports the ``config`` package first, and the package builds the Celery app,
which must find a settings module named in the environment when it is built (Celery installs its
Django fix-up only then). The Celery app's default is therefore written *provisionally*: a web
entry point that comes after it replaces it with its own, while a module the environment named is
never replaced. (Before, ``gunicorn config.wsgi`` without the variable ran development's settings,
DEBUG on and a published key, because the Celery app's ``setdefault`` came first.)
"""

from __future__ import annotations

import os

VARIABLE = "DJANGO_SETTINGS_MODULE"
DEVELOPMENT = "config.settings.local"
PRODUCTION = "config.settings.production"

_provisional: str | None = None  # the default this module wrote, which a later entry point may replace


def use_default(module: str, *, provisional: bool = False) -> str:
    """Name ``module`` as the settings unless the environment already names one; the module in
    force is returned. An empty variable counts as unset (Django would refuse it)."""
    global _provisional
    current = os.environ.get(VARIABLE, "")
    if not current or current == _provisional:
        os.environ[VARIABLE] = module
        _provisional = module if provisional else None
    return os.environ[VARIABLE]
