from django.core.management.base import BaseCommand, CommandError

from workflow import audit
from workflow.models import AuditEvent


class Command(BaseCommand):
    help = "Recomputes every document's audit chain and names each broken event."

    def handle(self, *args, **options):
        breaches = list(audit.verify())
        total = AuditEvent.objects.count()
        for breach in breaches:
            self.stderr.write(f"event {breach.event_id} ({breach.document}, #{breach.seq}): {breach.reason}")
        if breaches:
            raise CommandError(f"{len(breaches)} broken audit event(s) out of {total}.")
        self.stdout.write(self.style.SUCCESS(f"All {total} audit events verified."))
