"""The Content-Security-Policy of every page, written as the header reads and parsed for
django-csp's middleware (``CONTENT_SECURITY_POLICY``).

The default allows scripts from the site's own origin only: the pages carry no inline script and
no event-handler attribute (their behaviour is in static/js/), so an injected ``<script>`` or
``onerror=`` does not run. Styles allow ``'unsafe-inline'`` because the progress bars and charts
set their widths in ``style`` attributes, which no nonce can cover; an injected style cannot run
code. Swagger UI (drf-spectacular-sidecar, its set-up script served apart by
SpectacularSwaggerSplitView) and the admin work under it, and images may be ``data:`` URIs (the
QR code preview, Swagger UI's icons).
"""

from __future__ import annotations

from csp.utils import DEFAULT_DIRECTIVES
from django.core.exceptions import ImproperlyConfigured

DEFAULT_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def parse_policy(policy: str) -> dict[str, list[str] | bool]:
    """``"default-src 'self'; img-src 'self' data:"`` as ``{"default-src": ["'self'"], ...}``; a
    directive without sources (``upgrade-insecure-requests``) is ``True``. A name django-csp does
    not know (a typo would silently drop it) stops start-up."""
    directives: dict[str, list[str] | bool] = {}
    for part in policy.split(";"):
        words = part.split()
        if not words:
            continue
        name, sources = words[0].lower(), words[1:]
        if name not in DEFAULT_DIRECTIVES:
            raise ImproperlyConfigured(f"DJANGO_CSP: unknown directive {name!r}")
        directives[name] = sources or True
    if not directives:
        raise ImproperlyConfigured("DJANGO_CSP is empty: give a policy (DJANGO_CSP_REPORT_ONLY=true only reports)")
    return directives


def content_security_policy(policy: str, *, report_only: bool = False, report_uri: str = "") -> tuple[dict | None, dict | None]:
    """The settings ``(CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_REPORT_ONLY)``: the policy
    enforced, or only reported (the other one ``None``, which sends no header)."""
    directives = parse_policy(policy)
    if report_uri:
        directives["report-uri"] = [report_uri]
    setting = {"DIRECTIVES": directives}
    return (None, setting) if report_only else (setting, None)
