"""`manage.py mail_worker` as real processes: a real SMTP server, crashes, several workers.

Each test commits its rows (transactional database), starts worker
processes on the test database and waits, bounded, for what arrives.
"""

import asyncio
import threading
import time
from contextlib import contextmanager
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django_tasks_db.models import DBTaskResult

from accounts import tasks
from accounts.tests.factories import UserFactory
from accounts.tests.smtp import LoopbackController, RecordingHandler, closed_port
from project.tests import live

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTED = {
    "message": "If an account with that email exists, a password reset link has been sent."
}


def _database_url():
    """The URL of the test database, for processes outside this one."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    credentials = f"{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}"
    return f"postgres://{credentials}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def start_worker(tmp_path):
    """Return a context manager running one mail worker process against the test database."""

    @contextmanager
    def start_worker(smtp_port, name="worker", **settings):
        env = live.app_env(
            DATABASE_URL=_database_url(),
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
            EMAIL_TIMEOUT=5,
            EMAIL_RETRY_DELAY=0.2,
            **settings,
        )
        log = tmp_path / f"{name}.log"
        with live.mail_worker(env, log, "--worker-id", name) as process:
            process.log = log
            yield process

    return start_worker


@contextmanager
def smtp_server(handler, port=0):
    controller = LoopbackController(handler, port=port)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def _poll(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} within {timeout}s"
        time.sleep(0.05)


def _wait_until_idle(timeout=20):
    """Wait until no email is waiting or being sent (retries included)."""
    _poll(
        lambda: not DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).exists(),
        timeout,
        "idle queue",
    )


def _queue(count):
    users = UserFactory.create_batch(count)
    with transaction.atomic():
        for user in users:
            tasks.queue_email("password_reset", user=user, to=user.email)
    return sorted(user.email for user in users)


def _recipients(handler):
    return sorted(message["To"] for message in handler.messages)


def test_worker_process_sends_a_requested_reset_email(api_client, start_worker):
    handler = RecordingHandler()
    user = UserFactory()
    with smtp_server(handler) as server, start_worker(server.port):
        response = api_client.post("/user/request-password-reset", {"email": user.email})
        [message] = handler.wait_for_messages(1, timeout=30)

    assert response.json() == REQUESTED
    assert message["To"] == user.email
    assert "/user/reset-password/" in message.get_body(preferencelist=("plain",)).get_content()


def test_email_requested_while_the_mail_server_is_down_arrives_once_it_is_up(
    api_client, start_worker
):
    port = closed_port()
    user = UserFactory()
    handler = RecordingHandler()
    with start_worker(port):
        response = api_client.post("/user/request-password-reset", {"email": user.email})
        _poll(lambda: DBTaskResult.objects.filter(status="FAILED").exists(), 30, "failed attempt")
        with smtp_server(handler, port=port):
            [message] = handler.wait_for_messages(1, timeout=30)
            _wait_until_idle()

    assert response.json() == REQUESTED
    assert message["To"] == user.email
    assert len(handler.messages) == 1


class HoldingHandler(RecordingHandler):
    """Hold the conversation of the n-th message at RCPT until released."""

    def __init__(self, hold_at):
        super().__init__()
        self.hold_at = hold_at
        self.recipients_seen = 0
        self.held = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.recipients_seen += 1
        if self.recipients_seen == self.hold_at:
            self.held.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def test_worker_killed_mid_batch_and_restarted_sends_every_email_exactly_once(start_worker):
    recipients = _queue(6)
    handler = HoldingHandler(hold_at=3)
    with smtp_server(handler) as server:
        with start_worker(server.port, name="first") as first:
            assert handler.held.wait(30), first.log.read_text()
            first.kill()  # SIGKILL, in the middle of the third email
            first.wait()
        handler.release.set()
        assert len(handler.messages) == 2
        assert DBTaskResult.objects.filter(status="RUNNING").count() == 1

        with start_worker(server.port, name="second", EMAIL_WORKER_LEASE=1) as second:
            handler.wait_for_messages(6, timeout=30)
            _wait_until_idle()
            assert _recipients(handler) == recipients, second.log.read_text()


def test_two_workers_on_one_database_never_send_an_email_twice(start_worker):
    handler = RecordingHandler(delay=0.05)
    with (
        smtp_server(handler) as server,
        start_worker(server.port, name="one") as one,
        start_worker(server.port, name="two") as two,
    ):
        for worker in (one, two):
            _poll(lambda w=worker: "Starting worker" in w.log.read_text(), 30, "worker start")
        recipients = _queue(20)
        handler.wait_for_messages(20, timeout=60)
        _wait_until_idle()

    assert _recipients(handler) == recipients
    workers = {w for row in DBTaskResult.objects.all() for w in row.worker_ids}
    assert workers == {"one", "two"}
