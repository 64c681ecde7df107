"""gunicorn's worker and logger classes, as gunicorn.conf.py names them.

InlineThreadWorker: gunicorn's threaded worker, serving each request on its
event loop's thread.

gunicorn.conf.py gives each worker one thread. gunicorn's gthread worker
still hands every request from its event loop to a pool of that one thread
and the result back through a pipe: two thread switches, a pipe write and
read and a second turn of the loop per request, which on a short API request
cost more than the JSON. No gunicorn setting serves on the loop's thread
while keeping connections open: the sync worker does serve there, but closes
each connection after one response. So this subclass keeps all of gthread
(keep-alive, the wait for a slow client's first bytes, pipelining, HTTP/2,
graceful stops) and only runs the pool's job itself.

It also makes `timeout` hold as gunicorn.conf.py says: gthread's loop keeps
the heartbeat going while its pool is stuck in a request, so the arbiter
never kills it; here the loop is the one serving, as in the sync worker.

With more than one thread (GUNICORN_THREADS) it is gthread unchanged.

Logger: gunicorn's logger without its access log, which
project.middleware.RequestLogMiddleware replaces (one JSON line per request,
with the request id and a redacted path).
"""

from collections import deque
from concurrent.futures import Future

from gunicorn.glogging import Logger as GunicornLogger
from gunicorn.workers.gthread import ThreadWorker


class InlineThreadWorker(ThreadWorker):
    def init_process(self):
        # Connections to serve now, in order: finish_request() hands a
        # connection back to enqueue_req() when the client has already sent
        # its next request, and serving that from inside finish_request
        # would recurse once per pipelined request.
        self.ready = deque()
        super().init_process()

    def enqueue_req(self, conn):
        if self.cfg.threads > 1:
            super().enqueue_req(conn)
            return
        self.ready.append(conn)
        if len(self.ready) > 1:
            return  # called back from finish_request() below, which serves it next
        while self.ready:
            conn = self.ready[0]
            served = Future()
            served.set_result(self.handle(conn))  # handle() answers its own errors
            self.finish_request(conn, served)
            self.ready.popleft()


class Logger(GunicornLogger):
    # gunicorn formats an access line's fields for every request whenever a
    # logging config is given (gunicorn.conf.py gives one, for JSON), even
    # with its access logger silenced; this says there is no access log.
    access_log_enabled = False
