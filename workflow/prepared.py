"""Queries of the transition's hot path, compiled to SQL once per thread instead of every time.

Every transition starts by locking its document with the flow's ``lock_queryset()`` (the row and,
through ``select_related``, what the permission check and the tasks need). Compiling that
queryset (five joins, some eighty columns) cost about as much CPU as the rest of the engine's
bookkeeping together (bench/README.md, benchmark 1). The SQL and the way rows map to objects
depend only on the flow, not on the document, so ``PreparedLock`` compiles once, keeps the
compiler, and for each transition runs the same SQL with the document's primary key, building
the objects exactly as Django's ``ModelIterable`` does. ``PreparedQuery`` does the same for a
guard's query of a document's rows (model instances, or dicts for a ``values()`` query as
``ValuesIterable`` gives them).

It relies on the compiler's attributes that Django's iterables themselves read (``select``,
``klass_info``, ``annotation_col_map``, the query's selected names); Django is pinned, and the
engine's tests run every flow through it. Whatever it cannot prepare (the key does not appear exactly once among the
parameters) falls back to the plain queryset.
"""

from __future__ import annotations

import threading

from django.conf import settings
from django.db import connections
from django.db.models.query import get_related_populators

# A primary key no document has, within a 32-bit integer's range (out-of-range lookups are
# compiled away by Django), to find the key's place among the compiled parameters.
_SENTINEL = 2_071_000_013


# A lock query starts from one row and joins by primary keys, so the order Django writes its
# joins in is the best one; letting PostgreSQL's planner search the orders of eight tables cost
# it a millisecond per transition (EXPLAIN: planning 1.0 ms -> 0.27 ms), more than running it.
_WRITTEN_JOIN_ORDER = ("SET LOCAL join_collapse_limit = 1", "SET LOCAL join_collapse_limit TO DEFAULT")


def fast_path_enabled() -> bool:
    """``KINERJA_FAST_PATH`` (on by default): off, every query and write of the hot path goes
    through the plain ORM, as a check that both paths give the same (CI runs the engine's tests
    both ways)."""
    return getattr(settings, "KINERJA_FAST_PATH", True)


class PreparedQuery:
    """``factory().filter(<lookup>=value)``, compiled once per thread and database."""

    written_join_order = False  # PostgreSQL: join in the order written (see _WRITTEN_JOIN_ORDER)

    def __init__(self, factory, *, lookup: str = "pk"):
        self.factory = factory
        self.lookup = lookup
        self._local = threading.local()

    def _queryset(self):
        return self.factory()

    def _compile(self, using: str):
        queryset = self._queryset().filter(**{self.lookup: _SENTINEL})
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        sql = self._rewrite(sql, compiler.connection)
        positions = [i for i, value in enumerate(params) if value == _SENTINEL]
        if len(positions) != 1:
            return None
        query = queryset.query
        names = None
        if query.values_select or query.selected:  # a values() query: named as ValuesIterable names them
            names = list(query.selected) if query.selected else [*query.extra_select, *query.values_select, *query.annotation_select]
        if names is None and compiler.klass_info is None:
            return None
        # The fields' database converters, found once (results_iter would look them up per call).
        converters = compiler.get_converters([column[0] for column in compiler.select[0:compiler.col_count]])
        return compiler, sql, list(params), positions[0], names, converters

    def all(self, value, *, using: str = "default") -> list:
        """The rows: model instances with their select_related objects, or dicts for values()."""
        return self.all_then(value, using=using)[0]

    def all_then(self, value, *, using: str = "default", then: list[tuple[str, list]] = ()) -> tuple[list, list[list]]:
        """The rows, and the rows of each plain query of ``then`` ((sql, params) pairs) run right
        after it. On PostgreSQL they all go in one round trip, as consecutive statements: each
        starts once the one before is done (with its locks taken) and, in READ COMMITTED, sees
        everything committed by then."""
        connection = connections[using]
        compiled = self._compiled(using) if fast_path_enabled() else None
        if compiled is None:
            rows = list(self._queryset().using(using).filter(**{self.lookup: value}))
            return rows, [_run(connection, query) for query in then]
        compiler, sql, params, position, names, converters = compiled
        params = list(params)
        params[position] = value
        then_rows: list[list] = []
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and (then or self.written_join_order):
                before, after = (_WRITTEN_JOIN_ORDER if self.written_join_order else ("", ""))
                statements = [before, sql, *(query[0] for query in then), after]
                cursor.execute(";\n".join(s for s in statements if s), [*params, *(p for query in then for p in query[1])])
                if before:
                    cursor.nextset()
                rows = cursor.fetchall()
                for _query in then:
                    cursor.nextset()
                    then_rows.append(cursor.fetchall())
            else:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
                then_rows = [_run(connection, query) for query in then]
        if rows and converters:
            rows = list(compiler.apply_converters(rows, converters))
        if names is not None:
            return [dict(zip(names, row)) for row in rows], then_rows
        return [_build(compiler, row, using) for row in rows], then_rows

    def _rewrite(self, sql: str, connection) -> str:
        return sql

    def _compiled(self, using: str):
        cache = self._local.__dict__.setdefault("compiled", {})
        if using not in cache:
            cache[using] = self._compile(using)
        return cache[using]


class PreparedLock(PreparedQuery):
    """A flow's lock query: its document, locked, with what ``select_related`` brings.

    ``shared`` names related rows the decision also rests on (an employee's document's
    reporting line: who the rater is). They are locked FOR KEY SHARE, the weakest lock: documents
    of one employee still move at once, but a writer that locks the record FOR UPDATE (HR
    correcting the rater, through ``workflow.engine.record``) and a transition serialise, and a
    transition that waited reads the record as committed, not as it was when it asked. Django
    gives one strength to every table of ``select_for_update(of=...)``, so the compiled SQL's
    clause is split here; with the fast path off the plain queryset locks them FOR UPDATE, which
    is stronger and as correct."""

    written_join_order = True

    def __init__(self, factory, *, lookup: str = "pk", shared: tuple[str, ...] = ()):
        super().__init__(factory, lookup=lookup)
        self.shared = tuple(shared)

    def _queryset(self):
        return self.factory().select_for_update(of=("self", *self.shared))

    def _rewrite(self, sql: str, connection) -> str:
        if not self.shared or connection.vendor != "postgresql":
            return sql
        head, marker, tables = sql.rpartition(" FOR UPDATE OF ")
        first, *others = [table.strip() for table in tables.split(",")]
        if not marker or len(others) != len(self.shared):
            raise RuntimeError(f"unexpected lock clause: {marker}{tables}")
        return f"{head} FOR UPDATE OF {first} FOR KEY SHARE OF {', '.join(others)}"

    def get(self, pk, *, using: str = "default", then: list[tuple[str, list]] = ()):
        """The locked document (``DoesNotExist`` when there is none) and the rows of each query
        of ``then`` (see ``all_then``). Call within a transaction, as ``select_for_update`` requires."""
        rows, then_rows = self.all_then(pk, using=using, then=then)
        if not rows:
            model = self.factory().model
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        return rows[0], then_rows


def _run(connection, query: tuple[str, list]) -> list:
    with connection.cursor() as cursor:
        cursor.execute(*query)
        return cursor.fetchall()


def _build(compiler, row, using: str):
    """One model instance with its select_related objects and annotations, as ModelIterable builds it."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    model_cls = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    obj = model_cls.from_db(using, init_list, row[start:end])
    for populator in get_related_populators(klass_info, select, using):
        populator.populate(row, obj)
    for name, position in (annotation_col_map or {}).items():
        setattr(obj, name, row[position])
    return obj
