"""workflow.idempotency.run_once: only a success spends a key; the call's own errors stay its own."""

import pytest
from django.db import IntegrityError

from workflow.errors import Conflict
from workflow.idempotency import run_once
from workflow.models import IdempotencyRecord

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def counting_call(answer, calls: list):
    def call():
        calls.append(1)
        return answer
    return call


def test_a_success_runs_once_and_is_replayed():
    user, calls = UserFactory(), []
    first = run_once(user=user, key="k", fingerprint="POST /x/", call=counting_call((201, {"id": 7}), calls))
    again = run_once(user=user, key="k", fingerprint="POST /x/", call=counting_call((201, {"id": 8}), calls))
    assert first == again == (201, {"id": 7}) and len(calls) == 1


def test_an_answered_refusal_spends_no_key_and_rolls_back_what_the_call_began():
    user, other = UserFactory(), UserFactory(username="someone-else")
    other_pk = other.pk

    def refuse():
        other.delete()  # a change the refusal must not keep
        return 400, {"errors": {}}

    assert run_once(user=user, key="k", fingerprint="POST /x/", call=refuse) == (400, {"errors": {}})
    assert not IdempotencyRecord.objects.exists()
    assert type(other).objects.filter(pk=other_pk).exists()


def test_an_integrity_error_of_the_call_is_not_mistaken_for_a_duplicate_key():
    def clash():
        raise IntegrityError("the call's own unique constraint")

    with pytest.raises(IntegrityError):
        run_once(user=UserFactory(), key="k", fingerprint="POST /x/", call=clash)
    assert not IdempotencyRecord.objects.exists()


def test_the_same_key_on_another_request_is_a_conflict():
    user = UserFactory()
    run_once(user=user, key="k", fingerprint="POST /x/", call=lambda: (200, {}))
    with pytest.raises(Conflict):
        run_once(user=user, key="k", fingerprint="DELETE /x/", call=lambda: (204, None))
