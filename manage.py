#!/usr/bin/env python
import sys


def main() -> None:
    from config import settings_module

    # DJANGO_SETTINGS_MODULE when set (production: config.settings.production); development's otherwise.
    settings_module.use_default(settings_module.DEVELOPMENT)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
