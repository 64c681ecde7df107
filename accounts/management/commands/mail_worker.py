"""`manage.py mail_worker`: django-tasks-db's db_worker, plus the watch for lost emails.

It takes db_worker's options (--interval, --batch, --worker-id, --reload...).
Beside the worker loop, a thread runs accounts.tasks.requeue_lost() every
half lease, so an email whose worker was killed mid-send goes out again even
when no other email arrives to wake the queue.
"""

import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from accounts import tasks

logger = logging.getLogger("accounts.tasks")


class Command(db_worker.Command):
    help = "Send the queued emails (db_worker, plus retries of emails whose worker died)."

    def handle(self, **options):
        # With --reload the command runs twice: in the watcher and in the worker child.
        watcher = options["reload"] and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        if options["batch"]:
            tasks.requeue_lost()
        elif not watcher:
            threading.Thread(target=_watch_lost, name="requeue-lost", daemon=True).start()
        super().handle(**options)


def _watch_lost():
    while True:
        close_old_connections()
        try:
            tasks.requeue_lost()
        except Exception as exc:  # e.g. the database away for a moment: the thread must live on
            logger.warning("Could not look for lost emails: %s", type(exc).__name__)
        time.sleep(settings.EMAIL_WORKER_LEASE / 2)
