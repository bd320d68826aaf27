"""manage.py login_unlock --username NAME | --address IP: lift a sign-in lock-out, audited."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.lockout import login_unlock


class Command(BaseCommand):
    help = "Lift the sign-in lock-out of an account (--username) or a client address (--address)."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="", help="the username that is locked out")
        parser.add_argument("--address", default="", help="the client address that is locked out")

    def handle(self, *args, username: str, address: str, **options):
        try:
            closed = login_unlock(actor=None, username=username, address=address, origin={"channel": "command"})
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(f"Unlocked: the failures are forgotten; {closed} open lock-out(s) closed.")
