from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from org.importer import ImportRejected, import_org


class Command(BaseCommand):
    help = "Imports units, positions and employees from a CSV file (columns: see README). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        try:
            report = import_org(text)
        except ImportRejected as rejected:
            for line, message in rejected.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{file} was rejected: {len(rejected.errors)} error(s); nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(str(report)))
