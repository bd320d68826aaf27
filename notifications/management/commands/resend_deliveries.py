"""Send failed deliveries again, as the system (each resend audited on the delivery's chain).

    python manage.py resend_deliveries --id 12 --id 15
    python manage.py resend_deliveries --failed-since 2026-03-01T00:00
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from notifications.resend import deliveries_resend


def moment(text: str):
    value = parse_datetime(text)
    if value is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"--failed-since: a date or date and time (ISO 8601), not {text!r}")
        value = timezone.datetime(day.year, day.month, day.day)
    return value if timezone.is_aware(value) else timezone.make_aware(value)


class Command(BaseCommand):
    help = "Sends failed deliveries (e-mail, webhook) again: by id, or every one failed since a time."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--id", type=int, action="append", dest="ids", help="a delivery's id (repeatable)")
        group.add_argument("--failed-since", help="every delivery that failed since this date or time (ISO 8601)")

    def handle(self, *args, ids=None, failed_since=None, **options):
        since = moment(failed_since) if failed_since else None
        resent, refused = deliveries_resend(ids=ids, failed_since=since)
        for line in refused:
            self.stderr.write(f"not resent: {line}")
        self.stdout.write(f"resent {len(resent)}: {', '.join(map(str, resent)) or '-'}")
        if ids and refused:
            raise CommandError(f"{len(refused)} of {len(ids)} not resent")
