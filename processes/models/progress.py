"""A cycle's progress counts as last computed: HR's progress views read it instead of
re-aggregating a cycle's million documents on every request (refreshed in the background)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .cycles import Cycle


class ProgressSnapshot(models.Model):
    """What ``processes.selectors.cycle_progress`` returned for the cycle at ``computed_at``."""

    cycle = models.OneToOneField(Cycle, primary_key=True, on_delete=models.CASCADE, related_name="progress_snapshot")
    # When the computation started: the counts are at least this old.
    computed_at = models.DateTimeField(_("computed at"))
    data = models.JSONField(_("progress"))
    # What the refresh cost, to see from the data whether the background work keeps up.
    seconds = models.FloatField(_("seconds to compute"))

    class Meta:
        verbose_name = _("progress snapshot")
        verbose_name_plural = _("progress snapshots")

    def __str__(self) -> str:
        return f"{self.cycle_id} @ {self.computed_at:%Y-%m-%d %H:%M:%S}"
