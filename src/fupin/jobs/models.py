"""A background job: who started it, for which region, how far it got, what it produced."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fupin.accounts.scoping import ScopedManager


class Job(models.Model):
    class Kind(models.TextChoices):
        IMPORT = "import", _("Import")
        ASSESS = "assess", _("Assessment")
        EXPORT = "export", _("Export")
        MATCH = "match", _("Department matching")
        CARDS = "cards", _("Household cards")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="jobs")
    # The region prefix the job works on: the starter's scope or a region inside it.
    region = models.CharField(_("region"), max_length=12, blank=True, default="")
    year = models.IntegerField(_("year"), null=True, blank=True)
    # What else the job was started with (e.g. the department kind of a matching job).
    options = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    stage = models.CharField(_("stage"), max_length=64, blank=True, default="")
    message = models.TextField(_("message"), blank=True, default="")
    result = models.JSONField(_("result"), default=dict, blank=True)
    input_name = models.CharField(_("uploaded file"), max_length=255, blank=True, default="")
    input_path = models.CharField(max_length=500, blank=True, default="")
    output_path = models.CharField(max_length=500, blank=True, default="")
    rejects_path = models.CharField(max_length=500, blank=True, default="")
    task_id = models.CharField(max_length=64, blank=True, default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ScopedManager("region")

    class Meta:
        verbose_name = "后台任务"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["region", "created_at"], name="job_region_created")]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
