from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts import events, lockout, sessions, tasks


class Command(BaseCommand):
    help = (
        "Delete what the service no longer needs: ended and expired sessions, "
        "security events past SECURITY_EVENT_RETENTION_DAYS, sent or failed emails past "
        "EMAIL_RETENTION_DAYS, failed-login streaks that ended by time "
        "(LOGIN_FAILURE_RESET_SECONDS without a failure), and expired rows of "
        "SimpleJWT's token blacklist. Run it daily (cron, or the worker's schedule)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {sessions.prune()} ended or expired sessions.")
        self.stdout.write(f"Deleted {events.prune()} security events.")
        self.stdout.write(f"Deleted {tasks.prune()} finished emails.")
        self.stdout.write(f"Deleted {lockout.prune()} failed-login streaks.")
        # Sessions write no OutstandingToken rows; those left from before
        # sessions expire within a refresh lifetime, and SimpleJWT's own
        # command removes them.
        call_command("flushexpiredtokens")
