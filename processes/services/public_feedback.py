"""The public's feedback on a service: links HR issues, the anonymous form's submissions
(validated, throttled, stored as plain text) and the monthly summaries used as evidence.

A submission passes, in this order (README "Feedback as evidence"):

1. the bot checks: a honeypot field people never see, and a signed stamp of when the form was
   rendered (sent back faster than a person fills it in): a bot's submission is answered like any
   other and neither counted nor stored;
2. validation (a 400 with the form again);
3. the limit per source (``KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS``): the client's address from
   config.request_origin.client_address (trusted proxies only), an IPv6 address by its /64, the
   block one host or home connection holds;
4. the link's budget (``KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK``), counted only for submissions the
   source's limit let through: one source over its limit never spends what the link keeps for
   everyone else.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Avg, Count
from django.http import Http404
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from org.models import Employee, Unit
from org.services import is_hr_for
from workflow.engine import record
from workflow.errors import NotPermitted
from workflow.locking import lock_rows

from ..models import PublicFeedback, PublicFeedbackLink

COMMENT_MAX = 1000
_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WHITESPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# The honeypot: a text field the page hides from people (off-screen, out of the tab order, hidden
# from screen readers); form-filling bots fill it.
TRAP_FIELD = "website"
# When the form was rendered, signed: the field carrying it, and the signature's salt.
STAMP_FIELD = "opened"
_STAMP_SALT = "kinerja.public-feedback.form"
# An IPv6 host or home connection is given a /64: its addresses count as one source.
IPV6_SOURCE_PREFIX = 64


class Throttled(Exception):
    """Too many submissions from one source ("address") or to one link ("link") (HTTP 429)."""

    def __init__(self, wait: int, scope: str = "address"):
        super().__init__(wait, scope)
        self.wait = wait
        self.scope = scope


class Discarded(Exception):
    """A bot's submission (the honeypot filled, or sent back faster than a person could): answered
    like a success, so that the bot learns nothing, and neither counted nor stored."""


def link_issue(*, actor, unit: Unit | None = None, employee: Employee | None = None, origin: dict | None = None) -> PublicFeedbackLink:
    """A new link for a unit (or an employee at a counter); an existing live one is revoked, so
    issuing again is how HR renews a leaked link."""
    if (unit is None) == (employee is None):
        raise ValidationError({"unit": [_("Give either a unit or an employee.")]})
    if employee is not None:
        if employee.position is None:
            raise ValidationError({"employee": [_("The employee has no position, hence no unit.")]})
        unit = employee.position.unit
    if not is_hr_for(actor, [unit]):
        raise NotPermitted(_("Only HR of the unit may issue its public feedback link."))
    with transaction.atomic():
        # The unit's row serialises two issues of its links (the second renews the first's).
        list(lock_rows(Unit.objects.filter(pk=unit.pk)))
        live = list(PublicFeedbackLink.objects.filter(unit=unit, employee=employee, revoked_at__isnull=True))
        for old in live:
            record(old, "revoke", actor=actor, origin=origin, change=_revoke, data={"renewed": True})
        link = PublicFeedbackLink.objects.create(unit=unit, employee=employee, created_by=actor)
        record(link, "issue", actor=actor, origin=origin,
               data={"unit": unit.pk, "employee": employee.pk if employee else None, "renews": [old.pk for old in live]})
        return link


def link_revoke(*, link: PublicFeedbackLink, actor, origin: dict | None = None) -> PublicFeedbackLink:
    if not is_hr_for(actor, [link.unit]):
        raise NotPermitted(_("Only HR of the unit may revoke its public feedback link."))
    with transaction.atomic():
        event = record(link, "revoke", actor=actor, origin=origin, change=_revoke)
    if event.data.get("revoked_at"):
        link.refresh_from_db()
    return link


def _revoke(locked: PublicFeedbackLink) -> dict:
    """Revoke a link (once: a revoked link stays as it was)."""
    if locked.revoked_at is not None:
        return {"already_revoked": True}
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_at"])
    return {"revoked_at": locked.revoked_at.isoformat()}


def live_link(token: str) -> PublicFeedbackLink:
    link = (
        PublicFeedbackLink.objects.select_related("unit", "employee")
        .filter(token=token, revoked_at__isnull=True).first()
        if isinstance(token, str) and 0 < len(token) <= 64 else None
    )
    if link is None:
        raise Http404("unknown or revoked link")
    return link


def _parse_rate(rate: str) -> tuple[int, int]:
    count, _slash, period = rate.partition("/")
    return int(count), _PERIODS[period[0]]


def _check_throttle(key: str, rate: str, scope: str) -> None:
    limit, window = _parse_rate(rate)
    cache.add(key, 0, window)
    try:
        used = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, window)
        used = 1
    if used > limit:
        raise Throttled(window, scope)


def plain_text(comment: str) -> str:
    """Markup and links are kept as inert text: tags removed, control characters (NUL, which
    PostgreSQL refuses in text) dropped, whitespace folded."""
    text = _CONTROL.sub("", strip_tags(comment or ""))
    return _WHITESPACE.sub(" ", text).strip()


def form_stamp(link: PublicFeedbackLink, *, at: float | None = None) -> str:
    """The signed time ``link``'s form is rendered at, for its hidden STAMP_FIELD."""
    return signing.Signer(salt=_STAMP_SALT).sign(f"{link.pk}:{int(time.time() if at is None else at)}")


def _sent_by_a_bot(link: PublicFeedbackLink, trap: str, stamp: str) -> bool:
    """The honeypot is filled, or the stamp is forged, another link's, or younger than a person
    needs (``KINERJA_PUBLIC_FEEDBACK_MIN_SECONDS``). A submission without a stamp (a page opened
    before the stamp existed, or a script posting directly) is left to the limits."""
    if trap:
        return True
    if not stamp:
        return False
    try:
        link_id, _colon, issued = signing.Signer(salt=_STAMP_SALT).unsign(stamp).partition(":")
        issued = int(issued)
    except (signing.BadSignature, ValueError):
        return True
    return link_id != str(link.pk) or time.time() - issued < settings.KINERJA_PUBLIC_FEEDBACK_MIN_SECONDS


def source_of(address: str) -> str:
    """What counts as one source: an IPv4 address, or the /64 of an IPv6 one (a host may rotate
    among its 2**64 addresses); an IPv4-mapped IPv6 address is its IPv4 address."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/{IPV6_SOURCE_PREFIX}", strict=False))
    return str(ip)


def public_feedback_submit(
    *, link: PublicFeedbackLink, rating, comment: str, language: str, address: str, trap: str = "", stamp: str = "",
) -> PublicFeedback:
    """Store one member of the public's rating of ``link``'s service; ``address`` is the client's
    (config.request_origin.client_address), ``trap`` and ``stamp`` the form's honeypot and stamp.
    Raises Discarded, ValidationError or Throttled, in the order of the module's docstring."""
    if _sent_by_a_bot(link, (trap or "").strip(), (stamp or "").strip()):
        raise Discarded()
    errors = {}
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        errors["rating"] = [_("Choose a rating from 1 to 5.")]
    comment = plain_text(comment)
    if len(comment) > COMMENT_MAX:
        errors["comment"] = [_("At most %(n)s characters.") % {"n": COMMENT_MAX}]
    if errors:
        raise ValidationError(errors)
    # The source is only counted (hashed with the secret key), never stored. Its limit comes first:
    # a source over it raises before the link's budget is touched.
    source_key = hashlib.sha256(f"{settings.SECRET_KEY}:{source_of(address)}".encode()).hexdigest()[:32]
    _check_throttle(f"public-feedback:ip:{source_key}", settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_ADDRESS, "address")
    _check_throttle(f"public-feedback:link:{link.pk}", settings.KINERJA_PUBLIC_FEEDBACK_RATE_PER_LINK, "link")
    return PublicFeedback.objects.create(
        link=link, unit=link.unit, employee=link.employee, rating=rating, comment=comment,
        language=language if language in ("id", "en") else "id", month=timezone.localdate().strftime("%Y-%m"),
    )


def _summary(rows) -> dict:
    distribution = {str(n): 0 for n in range(1, 6)}
    for rating, count in rows:
        distribution[str(rating)] = count
    count = sum(distribution.values())
    mean = round(sum(int(k) * v for k, v in distribution.items()) / count, 2) if count else None
    return {"count": count, "mean": mean, "distribution": distribution}


def summary(*, unit_id: int | None = None, employee_id: int | None = None, months: list[str]) -> dict:
    """Count, mean and distribution (1-5) of the public's ratings for a unit or an employee
    over some months: one GROUP BY."""
    answers = PublicFeedback.objects.filter(month__in=months)
    answers = answers.filter(employee_id=employee_id) if employee_id else answers.filter(unit_id=unit_id)
    return _summary(answers.values_list("rating").annotate(n=Count("id")).values_list("rating", "n"))


def unit_month(unit: Unit, month: str) -> dict:
    """A unit's month: the whole unit, and each employee at a counter of it."""
    base = summary(unit_id=unit.pk, months=[month])
    per_employee = (
        PublicFeedback.objects.filter(unit=unit, month=month, employee__isnull=False)
        .values("employee_id", "employee__name").annotate(count=Count("id"), mean=Avg("rating")).order_by("employee__name")
    )
    return {"unit": unit.pk, "unit_name": unit.name, "month": month, **base,
            "employees": [{"employee": r["employee_id"], "name": r["employee__name"], "count": r["count"],
                           "mean": round(r["mean"], 2)} for r in per_employee]}
