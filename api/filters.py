"""Filters shared by the resources: an id filter that refuses out-of-range values with a 400
(an unbounded number reaches the database as an overflow, which would be a 500)."""

import django_filters

MAX_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class YearFilter(django_filters.NumberFilter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 2000)
        kwargs.setdefault("max_value", 2100)
        super().__init__(*args, **kwargs)
