from django.core.management.base import BaseCommand, CommandError

from processes.demo import DEMO_LOGINS, DEMO_PASSWORD, DemoRefused, refuse_in_production, seed_demo


class Command(BaseCommand):
    help = "Creates (idempotently) the demo organisation, its users and an open cycle for this year."

    def handle(self, *args, **options):
        try:
            refuse_in_production()
        except DemoRefused as refused:
            raise CommandError(str(refused)) from None
        cycle = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Demo ready: cycle “{cycle.name}” is {cycle.status}, {cycle.plans.count()} plans."))
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD} for each, demo only):")
        for username, what in DEMO_LOGINS:
            self.stdout.write(f"  {username:28} {what}")
        self.stdout.write("App: http://127.0.0.1:8000/   API docs: http://127.0.0.1:8000/api/v1/docs/")
