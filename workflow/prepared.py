"""A flow's lock query, compiled to SQL once per thread instead of on every transition.

Every transition starts by locking its document with the flow's ``lock_queryset()`` (the row and,
through ``select_related``, what the permission check and the tasks need). Compiling that
queryset (five joins, some eighty columns) cost about as much CPU as the rest of the engine's
bookkeeping together (bench/README.md, benchmark 1). The SQL and the way rows map to objects
depend only on the flow, not on the document, so ``PreparedLock`` compiles once, keeps the
compiler, and for each transition runs the same SQL with the document's primary key, building
the objects exactly as Django's ``ModelIterable`` does.

It relies on the compiler's attributes that ``ModelIterable`` itself reads (``select``,
``klass_info``, ``annotation_col_map``); Django is pinned, and the engine's tests run every flow
through it. Whatever it cannot prepare (the key does not appear exactly once among the
parameters) falls back to the plain queryset.
"""

from __future__ import annotations

import threading

from django.db import connections
from django.db.models.query import get_related_populators

# A primary key no document has, within a 32-bit integer's range (out-of-range lookups are
# compiled away by Django), to find the key's place among the compiled parameters.
_SENTINEL = 2_071_000_013


class PreparedLock:
    def __init__(self, queryset_factory):
        self.queryset_factory = queryset_factory  # the flow's lock_queryset, called once per thread
        self._local = threading.local()

    def _queryset(self):
        return self.queryset_factory().select_for_update(of=("self",))

    def _compile(self, using: str):
        queryset = self._queryset().filter(pk=_SENTINEL)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        positions = [i for i, value in enumerate(params) if value == _SENTINEL]
        if len(positions) != 1 or compiler.klass_info is None:
            return None
        return compiler, sql, list(params), positions[0]

    def get(self, pk, *, using: str = "default"):
        """The locked document with its related objects (``DoesNotExist`` when there is none).
        Call within a transaction, as ``select_for_update`` requires."""
        cache = self._local.__dict__.setdefault("compiled", {})
        if using not in cache:
            cache[using] = self._compile(using)
        compiled = cache[using]
        if compiled is None:
            return self._queryset().using(using).get(pk=pk)
        compiler, sql, params, position = compiled
        params = list(params)
        params[position] = pk
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if not rows:
            model = compiler.klass_info["model"]
            raise model.DoesNotExist(f"{model._meta.object_name} matching query does not exist.")
        return _build(compiler, rows[0], using)


def _build(compiler, row, using: str):
    """One model instance with its select_related objects and annotations, as ModelIterable builds it."""
    select, klass_info, annotation_col_map = compiler.select, compiler.klass_info, compiler.annotation_col_map
    row = next(iter(compiler.results_iter([[row]])))  # the fields' database converters
    model_cls = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [f[0].target.attname for f in select[start:end]]
    obj = model_cls.from_db(using, init_list, row[start:end])
    for populator in get_related_populators(klass_info, select, using):
        populator.populate(row, obj)
    for name, position in (annotation_col_map or {}).items():
        setattr(obj, name, row[position])
    return obj
