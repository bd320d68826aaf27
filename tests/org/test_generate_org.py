"""The synthetic organisation: realistic shape (4 to 6 levels, spans of 3 to 12), valid data,
a working reporting line, built in bulk."""

from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from org.models import Employee, Position, Unit
from org.services import ReportingLineResolver
from org.synthetic import nip_for, plan_organisation
from org.validators import validate_nip

pytestmark = pytest.mark.django_db


def test_the_command_builds_the_number_of_employees_asked_for(capsys):
    call_command("generate_org", employees=500, prefix="SYN")
    assert Employee.objects.filter(position__code__startswith="SYN-").count() == 500
    assert Unit.objects.filter(path__startswith="/SYN/").count() > 10
    assert "employees 500" in capsys.readouterr().out


def test_the_hierarchy_is_four_to_six_levels_deep_with_spans_of_three_to_twelve():
    plan = plan_organisation(5000, prefix="X", seed=7)
    depths = {node.depth for node in plan.nodes}
    assert min(depths) == 0 and 4 <= max(depths) <= 6  # the regional secretary above the agency heads
    spans = Counter(node.superior for node in plan.nodes if node.superior is not None)
    full_leaders = [i for i, n in enumerate(plan.nodes[:4000]) if i in spans and n.depth >= 2]
    assert all(3 <= spans[i] <= 12 for i in full_leaders)


def test_every_employee_has_a_valid_distinct_nip_and_a_rater_but_the_regional_secretary():
    call_command("generate_org", employees=800, prefix="NIP")
    nips = list(Employee.objects.values_list("nip", flat=True))
    assert len(nips) == len(set(nips))
    for nip in nips:
        validate_nip(nip)
    resolver = ReportingLineResolver(on=__import__("datetime").date.today())
    without_rater = [position_id for position_id in Employee.objects.values_list("position_id", flat=True)
                     if resolver.resolve(position_id).rater_id is None]
    assert without_rater == list(Position.objects.filter(code__startswith="NIP-", superior__isnull=True).values_list("pk", flat=True))
    assert len(without_rater) == 1  # only the regional secretary, at the top


def test_the_units_paths_follow_the_tree():
    call_command("generate_org", employees=300, prefix="PTH")
    for unit in Unit.objects.filter(path__startswith="/PTH/").select_related("parent"):
        assert unit.path == unit.compute_path()


def test_it_is_built_in_bulk_not_row_by_row():
    with CaptureQueriesContext(connection) as queries:
        call_command("generate_org", employees=2000, prefix="BLK")
    # A handful of INSERTs per level, whatever the size (SQLite caps one statement's parameters:
    # wider rows, a few more batches).
    assert len(queries) < 90


def test_a_prefix_in_use_is_refused():
    call_command("generate_org", employees=50, prefix="DUP")
    with pytest.raises(CommandError):
        call_command("generate_org", employees=50, prefix="DUP")


def test_distinct_numbers_give_distinct_nips():
    assert len({nip_for(k) for k in range(0, 300000, 7)}) == len(range(0, 300000, 7))
