"""`manage.py mail_status`: the outbox at a glance, for an operator whose mail is failing."""

from django.conf import settings
from django.core.management.base import BaseCommand

from accounts import tasks


class Command(BaseCommand):
    help = "Show how many emails wait, are being retried or sent, and failed in the last day."

    def handle(self, *args, **options):
        state = tasks.outbox_state()
        oldest = state["oldest_due"]
        since = f" (the oldest queued at {oldest:%Y-%m-%d %H:%M:%S} UTC)" if oldest else ""
        self.stdout.write(f"Waiting to be sent: {state['due']}{since}")
        self.stdout.write(f"Waiting for a retry: {state['retrying']}")
        self.stdout.write(f"Being sent: {state['sending']}")
        self.stdout.write(
            f"Last 24 hours: {state['sent']} sent, {state['dropped']} dropped (no longer "
            f"applied), {state['failed_attempts']} failed attempts, {state['given_up']} "
            f"given up after {settings.EMAIL_MAX_ATTEMPTS} attempts"
        )
