from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from org.importer import ImportRejected
from processes.services.org_import import import_org


class Command(BaseCommand):
    help = ("Imports units, positions and employees from a CSV (UTF-8) or XLSX file (columns: see README), all or "
            "nothing; people who join, move or leave change the open cycles' plans. Run as the system.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from None
        try:
            report = import_org(content, filename=file.name, origin={"channel": "system", "source": "import_org"})
        except ImportRejected as rejected:
            if all(line == 0 for line, _message in rejected.errors):  # the file itself, not a row
                raise CommandError(f"cannot read {file}: {' '.join(m for _line, m in rejected.errors)}") from None
            for line, message in rejected.errors:
                self.stderr.write(f"line {line}: {message}")
            raise CommandError(f"{file} was rejected: {len(rejected.errors)} error(s); nothing was imported.") from None
        self.stdout.write(self.style.SUCCESS(str(report)))
