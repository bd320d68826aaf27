from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who may sign in and with what: API tokens, service accounts, login lock-outs."""

    name = "accounts"
    verbose_name = _("Accounts and sign-in")

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
