from django.core.management.base import BaseCommand, CommandError

from processes.simulation import Simulation


class Command(BaseCommand):
    help = "Carries a synthetic cycle through every step via the engine and prints counts and time per step."

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, required=True)
        parser.add_argument("--months", type=int, default=12, help="monthly reports to simulate (1-12)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--prefix", default=None)

    def handle(self, *args, employees: int, months: int, seed: int, prefix: str | None, **options):
        if employees < 2 or not 1 <= months <= 12:
            raise CommandError("--employees at least 2; --months from 1 to 12")
        result = Simulation(employees, months=months, seed=seed, prefix=prefix, out=self.stdout.write).run()
        for name, count in sorted(result["counts"].items()):
            self.stdout.write(f"{name}: {count}")
        self.stdout.write(f"cycle {result['cycle']}: {result['status']}, total {sum(result['seconds'].values()):.1f} s")
