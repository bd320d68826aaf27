import time

from django.core.management.base import BaseCommand, CommandError

from org.models import Employee, Unit
from org.synthetic import build, plan_organisation


class Command(BaseCommand):
    help = "Builds a synthetic organisation (for benchmarks and simulations) in bulk, without audit events."

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, required=True)
        parser.add_argument("--prefix", default="GEN", help="code prefix of the units, positions and users")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, employees: int, prefix: str, seed: int, **options):
        if employees < 1:
            raise CommandError("--employees must be at least 1")
        if Unit.objects.filter(code=prefix).exists():
            raise CommandError(f"an organisation with the prefix {prefix} exists already: choose another --prefix")
        started = time.perf_counter()
        plan = plan_organisation(employees, prefix=prefix, seed=seed)
        counts = build(plan, prefix=prefix, first_k=Employee.objects.count())
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"units {counts['units']}, positions {counts['positions']}, employees {counts['employees']}, "
            f"depth {counts['depth']}, seconds {elapsed:.1f}"
        )
