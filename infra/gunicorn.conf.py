"""gunicorn configuration for kefu: `kefu serve --config infra/gunicorn.conf.py` (or
`gunicorn -c infra/gunicorn.conf.py 'kefu.http.wsgi:make_app()'`). These are kefu's defaults,
written out to copy and change; GUNICORN_CMD_ARGS and kefu serve's flags still override them.
"""

bind = ["127.0.0.1:8000"]
workers = 2
# Threads per worker (gthread): keep-alive and idle connections wait in the worker's poller,
# not in a thread, so slow or idle clients do not starve the service; concurrent commands in
# one process share a commit.
worker_class = "kefu.http.worker.ProblemThreadWorker"
threads = 8
keepalive = 5
# Must stay above KEFU_READ_WAIT_SECONDS + 5 (kefu serve refuses to start otherwise).
timeout = 30
graceful_timeout = 15
accesslog = "-"
# gunicorn 24+ opens a control socket in the home directory (one path for every instance).
control_socket_disable = True


def child_exit(server, worker):
    """A worker is gone (exited, killed, timed out): with PROMETHEUS_MULTIPROC_DIR set, its
    live gauges (the database pool) stop counting in /metrics."""
    from kefu.metrics import process_exited

    process_exited(worker.pid)
