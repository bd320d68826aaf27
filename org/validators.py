"""The NIP (Nomor Induk Pegawai): 18 digits, starting with the holder's date of birth."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_EIGHTEEN_DIGITS = re.compile(r"[0-9]{18}")  # ASCII only: str.isdigit() would take "١" or "１"


def validate_nip(value: str) -> None:
    if not (isinstance(value, str) and _EIGHTEEN_DIGITS.fullmatch(value)):
        raise ValidationError(_("A NIP has exactly 18 digits."), code="nip_format")
    try:
        datetime.date(int(value[0:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise ValidationError(
            _("The first 8 digits of a NIP are the date of birth (YYYYMMDD)."), code="nip_birth_date"
        ) from None
