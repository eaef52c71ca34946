"""Background jobs as ``GET /api/v1/celery/jobs/{job_id}`` shows them: pending, started, then an end.

Each job follows the :class:`JobPlan` in force when it was queued: it answers
``pending`` on its first poll, ``started`` until its ``polls``-th poll and
until ``delay`` seconds have passed since it was queued, then ``success``
(with its ``result``) or, when the plan names an ``error``, ``failed`` (with
that ``error``). It keeps its end from then on. The default plan (3 polls, no
delay, no error) shows all three states; ``Sandbox.set_jobs`` or ``POST
/_sandbox/jobs`` change it for the jobs queued afterwards, so that a client's
timeout (a long delay) or failure path can be tested.
"""

from __future__ import annotations

import time
from typing import Any

import attrs

from finizi_b4b.sandbox.state import State, now

__all__ = ["FINAL_STATUSES", "Job", "JobPlan", "queue_job"]

FINAL_STATUSES = frozenset({"success", "failed"})


@attrs.frozen
class JobPlan:
    """How the jobs queued from now on behave."""

    polls: int = attrs.field(default=3, validator=attrs.validators.ge(1))  # the poll that may end it
    delay: float = attrs.field(default=0.0, validator=attrs.validators.ge(0))  # seconds before it may end
    error: str | None = None  # when set, the job fails with this error


@attrs.define
class Job:
    id: str
    name: str
    entity_id: str
    plan: JobPlan
    result: dict[str, Any] | None = None
    queued_at: str = attrs.Factory(now)
    queued: float = attrs.Factory(time.monotonic)
    polls: int = 0
    status: str = "pending"
    finished_at: str | None = None

    def poll(self) -> str:
        """The status this poll sees (one poll more)."""
        self.polls += 1
        if self.status in FINAL_STATUSES:
            return self.status
        ready = self.polls >= self.plan.polls and time.monotonic() - self.queued >= self.plan.delay
        if ready:
            self.status = "failed" if self.plan.error is not None else "success"
            self.finished_at = now()
        elif self.polls > 1:
            self.status = "started"
        return self.status

    def view(self, minimal: bool) -> dict[str, Any]:
        if minimal:
            return {"status": self.status}
        answer: dict[str, Any] = {
            "id": self.id,
            "job_id": self.id,
            "name": self.name,
            "status": self.status,
            "queued_at": self.queued_at,
            "finished_at": self.finished_at,
        }
        if self.status == "success":
            answer["result"] = self.result
        elif self.status == "failed":
            answer["error"] = self.plan.error
        return answer


def queue_job(state: State, plan: JobPlan, job_id: str, name: str, entity_id: str, result: Any = None) -> Job:
    job = Job(job_id, name, entity_id, plan, result if result is not None else {})
    state.jobs[job_id] = job
    return job
