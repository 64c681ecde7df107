from django.core.management.base import BaseCommand

from accounts import events


class Command(BaseCommand):
    help = (
        "Delete what the service no longer needs: security events past "
        "SECURITY_EVENT_RETENTION_DAYS. Run it daily (cron, or the worker's schedule)."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {events.prune()} security events.")
