"""gunicorn settings for presse: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden by environment (PRESSE_BIND, PRESSE_WORKERS, PRESSE_THREADS,
PRESSE_TIMEOUT, PRESSE_MAX_REQUESTS, PRESSE_ACCESSLOG) or on the command line. Workers share the
on-disk index read-only and pick up a new index generation after a reindex without a restart.
"""

import multiprocessing
import os
import threading

bind = os.environ.get("PRESSE_BIND", "127.0.0.1:8000")
# Searching is CPU-bound Python. Single-threaded (sync) workers, one more than the cores: a busy
# worker does not accept, so requests go to a free one. Measured with bench/bench_load.py at 20
# clients: p95 135 ms with 3 sync workers against 221 ms with 2 workers x 2 threads, where kept-alive
# connections piled up on one worker while the other idled.
workers = int(os.environ.get("PRESSE_WORKERS", max(2, multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("PRESSE_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A worker that stops answering its master's heartbeat for this long is killed and replaced. A sync
# worker is silent for as long as one request takes, and gunicorn gives it no read timeout: a client
# that sends half a request and stalls holds the worker until this kill. A buffering proxy (README,
# « Production ») passes on only complete requests; without one, this is how long a stall lasts.
# Legitimate requests stay far below it: matching stops after PRESSE_SEARCH_TIME_LIMIT (5 s), and
# the caches of a new index generation build in 0.13 s for 6,000 articles.
timeout = int(os.environ.get("PRESSE_TIMEOUT", "15"))
# A restart or shutdown waits this long for requests in flight (a search takes at most ~5 s).
graceful_timeout = 10
# Only gthread workers (PRESSE_THREADS > 1) keep a connection open between requests; sync workers
# close it after each response. gunicorn's default, so that idle clients do not pile up on a worker.
keepalive = 2
# Recycling bounds memory growth, but a fresh worker rebuilds its per-index caches (facet arrays,
# spelling vocabulary: seconds on a large index), so not too often.
max_requests = int(os.environ.get("PRESSE_MAX_REQUESTS", "50000"))
max_requests_jitter = max_requests // 10
preload_app = False  # each worker opens the index itself (no file handles shared across fork)
# Backstop limits, above the app's own (webapp/guard.py: 8000-byte URL, 100 headers of at most
# 8190 bytes), which answer with a French page: gunicorn refuses only what is beyond them, with the
# French pages of webapp/gunicorn_pages.py. 8190 is the longest request line gunicorn allows short of
# "unlimited" (0).
limit_request_line = 8190
limit_request_fields = 200
limit_request_field_size = 16380
accesslog = os.environ.get("PRESSE_ACCESSLOG") or None
# %(p)s is the worker's pid: it shows which worker answered (used by tests and when debugging).
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms pid=%(p)s'
errorlog = "-"
# gunicorn >= 25 opens a control socket under $HOME shared by every instance on the machine;
# presse does not use it, and two instances (e.g. production and a test) must not collide.
control_socket_disable = True


def post_worker_init(worker):
    """Install the French error pages, then open the index and build its caches before the first request."""
    app = worker.wsgi
    # a long export (webapp/export.py) tells the master it is alive while it streams
    app.config["HEARTBEAT"] = worker.notify
    try:
        from webapp import gunicorn_pages

        gunicorn_pages.install(app)
    except Exception as exc:  # gunicorn's English pages then: never block start-up
        worker.log.warning("presse: French error pages not installed: %s", exc)
    try:
        from search.query.request import SearchRequest
        from webapp import service

        with app.app_context():
            svc = service.get_service()
            svc.search(SearchRequest())  # opens the index and builds the facet columns
        # The spelling vocabulary takes seconds on a large index: read it beside the first
        # requests rather than here, where the master's boot timeout runs.
        threading.Thread(target=svc.warm, name="presse-warm", daemon=True).start()
    except Exception as exc:  # no index yet, or unreadable: the pages say so; never block start-up
        worker.log.warning("presse: index not warmed up: %s", exc)


def worker_abort(worker):
    """Say why the master is killing a worker: a request over the timeout, most often a stalled client."""
    worker.log.warning(
        "presse: worker %s killed after %s s without finishing a request: a client that stalled "
        "mid-request (README, « Production »: put a buffering proxy in front) or a request that ran "
        "too long", worker.pid, worker.cfg.timeout)
