"""factory_boy factories for every model the tests build."""

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from notifications.models import WebhookEndpoint
from org.models import ActingAssignment, Delegation, Employee, Position, RoleAssignment, Unit
from processes.models import Cycle, CycleRole, Indicator, PlanResult

_nip_sequence = itertools.count(1)


def make_nip() -> str:
    """A valid NIP: birth date, appointment month, gender, sequence."""
    n = next(_nip_sequence)
    return f"1985{(n % 12) + 1:02d}{(n % 28) + 1:02d}2010{(n % 12) + 1:02d}1{n % 1000:03d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password("secret-pass-123")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.Sequence(lambda n: f"Unit {n}")
    kind = Unit.Kind.DIVISION
    parent = None


class PositionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Position

    code = factory.Sequence(lambda n: f"P{n}")
    title = factory.Sequence(lambda n: f"Position {n}")
    unit = factory.SubFactory(UnitFactory)
    superior = None


class EmployeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Employee

    nip = factory.LazyFunction(make_nip)
    name = factory.Sequence(lambda n: f"Pegawai {n}")
    user = factory.SubFactory(UserFactory)
    position = factory.SubFactory(PositionFactory)


class ActingAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActingAssignment

    kind = ActingAssignment.Kind.PLH
    start = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=1))
    end = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=10))


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    role = RoleAssignment.Role.HR


class CycleRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CycleRole


class PlanResultFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PlanResult

    title = factory.Sequence(lambda n: f"Hasil kerja {n}")
    kind = PlanResult.Kind.MAIN


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    description = factory.Sequence(lambda n: f"Indikator {n}")
    target = "12 dokumen"
    aspect = Indicator.Aspect.QUANTITY


class DelegationFactory(factory.django.DjangoModelFactory):
    """A delegation written directly (the service refuses ranges already over; tests need them)."""

    class Meta:
        model = Delegation

    start = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=1))
    end = factory.LazyFunction(lambda: datetime.date.today() + datetime.timedelta(days=10))
    reason = "Cuti tahunan"


class WebhookEndpointFactory(factory.django.DjangoModelFactory):
    """A registered webhook; the services cache the active ones, so call
    notifications.services.forget_endpoints() after building one."""

    class Meta:
        model = WebhookEndpoint

    url = "http://127.0.0.1:9/hook"
    secret = factory.Sequence(lambda n: f"rahasia-{n}")
    events = factory.LazyFunction(list)


__all__ = ["Cycle"]
