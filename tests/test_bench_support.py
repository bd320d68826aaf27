"""The benchmarks' small runs use databases of their own: two runs on one server never meet."""

import os
import re
import subprocess

from .bench_support import bench_database, run_database_name


def test_two_runs_name_their_databases_apart_and_validly():
    first, second = run_database_name("kinerja_bench_test"), run_database_name("kinerja_bench_test")
    assert first != second
    for name in (first, second):  # a PostgreSQL identifier unquoted: lower case, at most 63 bytes
        assert re.fullmatch(r"kinerja_bench_test_[0-9]+_[0-9a-f]{8}", name) and len(name) <= 63


def test_a_run_drops_its_own_database_at_the_end_and_nothing_else(tmp_path):
    with bench_database(tmp_path, "kinerja_bench_test_own") as (url, postgres):
        with bench_database(tmp_path, "kinerja_bench_test_own") as (other_url, _):
            assert other_url != url or not postgres
        if not postgres:
            return  # an SQLite file under tmp_path: nothing to drop
        name = url.rsplit("/", 1)[1]
        assert _exists(url, name)  # the inner run's end left this run's database alone
    assert not _exists(url, name)


def _exists(url: str, name: str) -> bool:
    server = url.rsplit("/", 1)[0] + "/postgres"
    found = subprocess.run(["psql", server, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
                           capture_output=True, text=True, check=True, env=os.environ)
    return found.stdout.strip() == "1"
