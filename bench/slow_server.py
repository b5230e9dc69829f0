#!/usr/bin/env python3
"""A local HTTP server for bench/health.sh that answers every GET after a delay.

    bench/slow_server.py PORT DELAY_SECONDS

Binds 127.0.0.1 only. PORT 0 picks a free port; the port actually bound is
printed on stdout as one line once the server listens. Every request (any
path) waits DELAY_SECONDS in its own thread, then gets `200` with a small
JSON body, so 200 concurrent requests all finish about DELAY_SECONDS later.
Standard library only.
"""

import http.server
import sys
import time

BODY = b'{"status":"UP"}\n'


class SlowServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # The listen backlog: 200 clients connecting at once must not be dropped.
    request_queue_size = 512

    def handle_error(self, request, client_address):
        # A client that gave up (a probe's timeout) is not the server's error.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def handler_for(delay):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if delay > 0:
                time.sleep(delay)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, format, *args):  # noqa: A002 (the stdlib's name)
            pass  # quiet: thousands of requests per bench

    return Handler


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: slow_server.py PORT DELAY_SECONDS\n")
        return 2
    try:
        port, delay = int(argv[1]), float(argv[2])
    except ValueError:
        sys.stderr.write("slow_server.py: PORT must be an integer, DELAY_SECONDS a number\n")
        return 2
    if port == 8080:
        sys.stderr.write("slow_server.py: port 8080 is kept free; use 0 for a free port\n")
        return 2
    # The GIL is handed between threads every 5 ms by default, which puts
    # 5 ms spikes on a 1 ms answer; a finer slice keeps the fast server fast.
    sys.setswitchinterval(0.0005)
    server = SlowServer(("127.0.0.1", port), handler_for(delay))
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
