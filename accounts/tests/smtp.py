"""A real SMTP server on loopback for tests (aiosmtpd), and a closed port."""

import asyncio
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


class RecordingHandler:
    """Keep every message received; optionally wait before accepting each one."""

    def __init__(self, delay=0.0):
        self.delay = delay
        self.refuse = False  # refuse every recipient, quoting the address as servers do
        self.messages = []
        self.received = threading.Condition()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.received:
            self.messages.append(message)
            self.received.notify_all()
        return "250 Message accepted for delivery"

    def wait_for_messages(self, count=1, timeout=10.0):
        """Return the messages once `count` have arrived; fail after `timeout` seconds."""
        with self.received:
            arrived = self.received.wait_for(lambda: len(self.messages) >= count, timeout)
        assert arrived, f"{len(self.messages)} of {count} messages arrived in {timeout}s"
        return list(self.messages)


class LoopbackController(Controller):
    """aiosmtpd's threaded server on 127.0.0.1, on `port` or a free one the OS picks."""

    def __init__(self, handler, port=0):
        super().__init__(handler, hostname="127.0.0.1", port=port)

    def _trigger_server(self):
        # Bound to port 0: learn the real port before connecting to it.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def closed_port():
    """Return a loopback port nothing listens on (bound once, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def use_smtp(settings, port):
    """Point Django's mail at a plain SMTP server on loopback."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
