"""The engine's bookkeeping writes of one transition, sent to the database in one round trip.

A transition ends with the same handful of writes on every document: the document's row (status,
version, the fields the action changed), its audit event, the open tasks closed and opened, the
outbox's notifications. Through the ORM each is a query compiled and sent on its own; at the
deadline peaks that compiling and the round trips are most of a transition's cost (bench/README.md,
benchmark 1). ``WriteBatch`` renders them once, straight from the models' fields (the same
``get_db_prep_save`` conversions the ORM applies), and on PostgreSQL sends them as one
multi-statement query (psycopg's client-side binding allows it); on SQLite, which takes one
statement per call, one by one. ``RETURNING`` gives back the new rows' ids in both.

The engine uses it for the document row it has locked and its own tables, and hands it to the flow
while an action runs (``Flow.writes``) so the action's plain writes join the same round trip.
With ``KINERJA_FAST_PATH`` off, the same operations go through the plain ORM, one by one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from django.db import connections, models

from .prepared import fast_path_enabled


@dataclass
class _Statement:
    sql: str
    params: list
    returning: list[models.Model] = field(default_factory=list)  # rows whose pk the statement returns
    orm: Callable[[], None] | None = None  # the same write through the ORM (the fast path off)


class WriteBatch:
    def __init__(self, using: str):
        self.using = using
        self.connection = connections[using]
        self.statements: list[_Statement] = []

    def _quote(self, name: str) -> str:
        return self.connection.ops.quote_name(name)

    def update(self, instance: models.Model, field_names) -> None:
        """``instance.save(update_fields=field_names)``, auto_now fields included, without signals
        (documents have none: the engine's own signal is sent after the commit)."""
        meta = instance._meta
        fields = [meta.get_field(name) for name in sorted(field_names)]
        assignments, params = [], []
        for f in fields:
            value = f.pre_save(instance, add=False)
            assignments.append(f"{self._quote(f.column)} = %s")
            params.append(f.get_db_prep_save(value, connection=self.connection))
        params.append(meta.pk.get_db_prep_value(instance.pk, connection=self.connection))
        names = sorted(field_names)
        self.statements.append(_Statement(
            f"UPDATE {self._quote(meta.db_table)} SET {', '.join(assignments)} WHERE {self._quote(meta.pk.column)} = %s",
            params,
            orm=lambda: instance.save(using=self.using, update_fields=names),
        ))

    def update_where(self, model: type[models.Model], values: dict, where: dict, *, null: tuple[str, ...] = ()) -> None:
        """``model.objects.filter(**where, <null>__isnull=True).update(**values)`` for plain equality."""
        meta = model._meta
        assignments = [f"{self._quote(meta.get_field(k).column)} = %s" for k in values]
        params = [meta.get_field(k).get_db_prep_save(v, connection=self.connection) for k, v in values.items()]
        conditions = [f"{self._quote(meta.get_field(k).column)} = %s" for k in where]
        params += [meta.get_field(k).get_db_prep_value(v, connection=self.connection) for k, v in where.items()]
        conditions += [f"{self._quote(meta.get_field(k).column)} IS NULL" for k in null]
        lookups = {**where, **{f"{k}__isnull": True for k in null}}
        self.statements.append(_Statement(
            f"UPDATE {self._quote(meta.db_table)} SET {', '.join(assignments)} WHERE {' AND '.join(conditions)}", params,
            orm=lambda: model._default_manager.using(self.using).filter(**lookups).update(**values),
        ))

    def update_pks(self, model: type[models.Model], values: dict, pks: list) -> None:
        """``model.objects.filter(pk__in=pks).update(**values)``."""
        if not pks:
            return
        meta = model._meta
        assignments = [f"{self._quote(meta.get_field(k).column)} = %s" for k in values]
        params = [meta.get_field(k).get_db_prep_save(v, connection=self.connection) for k, v in values.items()]
        params += [meta.pk.get_db_prep_value(pk, connection=self.connection) for pk in pks]
        pks = list(pks)
        self.statements.append(_Statement(
            f"UPDATE {self._quote(meta.db_table)} SET {', '.join(assignments)} "
            f"WHERE {self._quote(meta.pk.column)} IN ({', '.join(['%s'] * len(pks))})",
            params,
            orm=lambda: model._default_manager.using(self.using).filter(pk__in=pks).update(**values),
        ))

    def insert(self, instances: list[models.Model]) -> None:
        """``bulk_create(instances)`` for rows of one model; their pks are set when the batch runs."""
        if not instances:
            return
        meta = instances[0]._meta
        fields = [f for f in meta.concrete_fields if not f.primary_key]
        rows, params = [], []
        for instance in instances:
            rows.append(f"({', '.join(['%s'] * len(fields))})")
            params += [f.get_db_prep_save(f.pre_save(instance, add=True), connection=self.connection) for f in fields]
        columns = ", ".join(self._quote(f.column) for f in fields)
        self.statements.append(_Statement(
            f"INSERT INTO {self._quote(meta.db_table)} ({columns}) VALUES {', '.join(rows)} "
            f"RETURNING {self._quote(meta.pk.column)}",
            params,
            returning=list(instances),
            orm=lambda: type(instances[0])._default_manager.using(self.using).bulk_create(instances),
        ))

    def run(self) -> None:
        """Send every statement: one round trip on PostgreSQL, one per statement elsewhere. The
        new rows get their ids only once every statement has succeeded (a failure part-way
        through leaves no instance looking saved)."""
        if not self.statements:
            return
        if not fast_path_enabled():
            statements, self.statements = self.statements, []
            for statement in statements:
                statement.orm()
            return
        returned: list[tuple[_Statement, list]] = []
        with self.connection.cursor() as cursor:
            if self.connection.vendor == "postgresql":
                cursor.execute(";\n".join(s.sql for s in self.statements), [p for s in self.statements for p in s.params])
                for index, statement in enumerate(self.statements):
                    if index:
                        cursor.nextset()
                    if statement.returning:
                        returned.append((statement, cursor.fetchall()))
            else:
                for statement in self.statements:
                    cursor.execute(statement.sql, statement.params)
                    if statement.returning:
                        returned.append((statement, cursor.fetchall()))
        self.statements = []
        for statement, rows in returned:
            self._set_pks(statement, rows)

    def _set_pks(self, statement: _Statement, rows) -> None:
        ids = [row[0] for row in rows]
        if len(ids) != len(statement.returning):
            raise RuntimeError("the database returned fewer ids than rows inserted")
        # PostgreSQL returns the rows of a multi-row INSERT ... RETURNING in the VALUES' order.
        for instance, pk in zip(statement.returning, ids):
            instance.pk = pk
            instance._state.adding = False
            instance._state.db = self.using
