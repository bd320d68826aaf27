"""Issue 14: Schemathesis fuzzes every operation of the OpenAPI schema (/api/v1/schema/) through
the WSGI app, signed in as users of the demo organisation (seed_demo), and fails on any 5xx.

Bounded in time for CI (under a minute): a few examples per operation and generation mode (data
that fits the schema, and data that does not), derandomized so that a run is repeatable;
``KINERJA_FUZZ_EXAMPLES`` multiplies the counts and ``KINERJA_FUZZ_SEED`` picks another set of
cases (to hunt locally: ``KINERJA_FUZZ_EXAMPLES=20 KINERJA_FUZZ_SEED=7 pytest tests/api/test_issue14_schemathesis.py``).
Detail operations are tried both with generated ids (404s, bad ids) and with the id of a document
the user sees (GET /api/v1/<resource>/), so that the handlers themselves are reached.

Every 5xx is collected (operation, status, the request as a curl command) and all are reported
together: the run is not stopped at the first.
"""

from __future__ import annotations

import os
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from processes.demo import seed_demo

from .schema_client import connection_kept, headers, id_for, load_schema, session_of, visible_ids

pytestmark = pytest.mark.django_db

# Hypothesis keeps its caches under var/ (ignored by git), not in a .hypothesis folder of the tree.
set_hypothesis_home_dir(str(settings.BASE_DIR / "var" / "hypothesis"))

SCALE = int(os.environ.get("KINERJA_FUZZ_EXAMPLES", "1"))
SEED = os.environ.get("KINERJA_FUZZ_SEED")
BUDGET_SECONDS = 60 if SCALE == 1 else None
# Roles of the demo organisation and the examples per operation each is sent, by kind: HR (who
# sees most resources and writes its own) everything; a rater and an employee, whose own
# documents are what they can reach, requests for those.
ROLES = {
    "hr": {"positive": 2, "negative": 1, "visible": 2},
    "kabid.a": {"visible": 1},
    "staf.a1": {"visible": 1},
}


def strategies(operation, known: dict[str, int], cookies: dict, examples: dict[str, int]):
    """(kind, strategy, examples) to try: generated data that fits, data that does not, and, for
    a detail operation, data that fits for a document the user sees."""
    fixed = {"cookies": cookies, "headers": headers()}
    if "positive" in examples:
        yield "positive", operation.as_strategy(GenerationMode.POSITIVE, **fixed), examples["positive"]
    if "negative" in examples:
        yield "negative", operation.as_strategy(GenerationMode.NEGATIVE, **fixed), examples["negative"]
    visible = id_for(operation, known)
    if visible is not None and "visible" in examples:
        yield "visible", operation.as_strategy(GenerationMode.POSITIVE, path_parameters=visible, **fixed), examples["visible"]


def fuzz(operation, kind: str, strategy, examples: int, failures: list[str]) -> int:
    sent = []

    @hypothesis_settings(max_examples=examples * SCALE, deadline=None, database=None, derandomize=SEED is None,
                         phases=[Phase.generate], suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
    @given(case=strategy)
    def run(case):
        response = case.call()
        sent.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{operation.label} [{kind}] -> {response.status_code}\n    {case.as_curl_command()}")

    if SEED is not None:
        run = seed(int(SEED))(run)
    try:
        run()
    except Unsatisfiable:  # nothing of this operation can be made invalid (no parameters, no body)
        pass
    return len(sent)


def test_no_operation_of_the_schema_answers_a_5xx_to_any_role_of_the_demo(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the demo cycle's plans are created on commit
        seed_demo()
    users = get_user_model().objects.in_bulk(list(ROLES), field_name="username")
    roles = [(session_of(users[username]), examples) for username, examples in ROLES.items()]
    roles = [(cookies, visible_ids(cookies), examples) for cookies, examples in roles]
    with connection_kept():
        fuzz_every_operation(roles)


def fuzz_every_operation(roles: list[tuple[dict, dict, dict]]) -> None:
    schema = load_schema()
    # Revoking the session's own tokens would only make the rest of the run anonymous.
    schema = schema.exclude(method="DELETE", path="/api/v1/auth/token/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50, "the schema lists the API's operations"
    failures: list[str] = []
    requests, started = 0, time.monotonic()
    for cookies, known, examples in roles:
        for operation in operations:
            for kind, strategy, count in strategies(operation, known, cookies, examples):
                requests += fuzz(operation, kind, strategy, count, failures)
    elapsed = time.monotonic() - started
    assert not failures, f"{len(failures)} server errors in {requests} requests:\n" + "\n".join(failures)
    assert requests > len(operations) * 3
    if BUDGET_SECONDS is not None:
        assert elapsed < BUDGET_SECONDS, f"the fuzz took {elapsed:.0f} s for {requests} requests"
