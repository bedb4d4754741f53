"""The retention period (`analytics.retention_days`): calls older than it are deleted with
everything kept about them (record, stored summary, recordings, call-history line)."""

from __future__ import annotations

import logging

from earpiece.core.analytics.records import CallArchive
from earpiece.core.settings import Settings

log = logging.getLogger(__name__)


def apply_retention(settings: Settings, archive: CallArchive | None = None) -> list[str]:
    """Delete the calls that started more than `settings.analytics.retention_days` ago (0 keeps
    everything) from `archive` (default: the data folder's calls and call history); returns their
    ids.

    The call controller calls this when the agent or the desktop starts, and the `calls` commands
    before they read the archive. It reads every record's start time, so with a large archive a
    caller that must not wait runs it in a thread. Never raises: a folder that cannot be read or
    written is logged and the calls stay until the next attempt."""
    try:
        return (archive or CallArchive()).prune(settings.analytics.retention_days)
    except OSError as exc:
        log.error("retention: old calls not deleted: %s", exc)
        return []
