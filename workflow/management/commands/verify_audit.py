from django.core.management.base import BaseCommand, CommandError

from workflow import audit
from workflow.audit.seal import reanchor


class Command(BaseCommand):
    help = (
        "Verifies the audit trail: every event's signature, sequence and link, every chain's anchored head, "
        "the tallies of record chains, and that each document's status is its last event's target state. "
        "Names each breach; fails if there is one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reanchor", action="store_true",
            help="After a key rotation: if nothing else is broken, re-sign the chain heads and tallies that a retired key "
                 "signed with the current key.",
        )

    def handle(self, *args, **options):
        result = audit.verify_all()
        breaches = result.breaches
        if options["reanchor"]:
            breaches = [breach for breach in breaches if not breach.retired_key]
        for breach in breaches:
            self.stderr.write(describe(breach))
        if breaches:
            raise CommandError(f"{len(breaches)} broken audit event(s) or chain(s); {result.events} events read.")
        if options["reanchor"]:
            count = reanchor()
            self.stdout.write(f"{count} chain heads and tallies re-signed with the current key.")
            return self.handle(reanchor=False)
        self.stdout.write(self.style.SUCCESS(f"All {result.events} audit events verified."))


def describe(breach: audit.Breach) -> str:
    where = f"{breach.document}, #{breach.seq}" if breach.seq is not None else breach.document
    if breach.event_id is not None:
        return f"event {breach.event_id} ({where}): {breach.reason}"
    return f"{where}: {breach.reason}"
