#!/usr/bin/python3
"""A small object store for the history tests: GET/PUT/DELETE of whole
objects kept in memory, strong ETags (the body's SHA-256), conditional PUT
(If-Match, If-None-Match: *) answered with 412, conditional GET with 304.

    objstore.py serve DIR PID [--tls CERT KEY]
                                             start on 127.0.0.1, print the
                                             port once it accepts; DIR/pid
    objstore.py put URL FILE                 store FILE's bytes at URL
    objstore.py get URL FILE                 fetch URL into FILE
    objstore.py fault URL status=N|hang=S    queue a fault

The server logs one line a request to DIR/log: "METHOD PATH STATUS
if-match=... if-none-match=... auth=...", so that a test can check the
token was sent, and that shard printed it nowhere. A queued fault serves
one request: answer it with status N, or hold it S seconds and close the
connection unanswered. The server exits when process PID (the test
script) is gone."""
import hashlib
import http.server
import os
import ssl
import sys
import threading
import time
import urllib.parse

objects = {}          # path -> bytes
faults = []           # queued ("status", code) or ("hang", seconds)
lock = threading.Lock()
log_lock = threading.Lock()


def etag(body):
    return '"%s"' % hashlib.sha256(body).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, status):
        line = "%s %s %d if-match=%s if-none-match=%s auth=%s\n" % (
            self.command, self.path, status,
            self.headers.get("If-Match", "-"),
            self.headers.get("If-None-Match", "-"),
            self.headers.get("Authorization", "-"))
        with log_lock, open(os.path.join(DIR, "log"), "a") as f:
            f.write(line)

    def answer(self, status, body=b"", tag=None):
        self.record(status)
        self.send_response(status)
        if tag:
            self.send_header("ETag", tag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fault(self):
        """Serve a queued fault; True when it answered the request."""
        with lock:
            f = faults.pop(0) if faults else None
        if not f:
            return False
        if f[0] == "hang":
            time.sleep(f[1])
            self.close_connection = True
            return True
        self.answer(f[1], b"injected fault\n")
        return True

    def body(self):
        n = int(self.headers.get("Content-Length", "0"))
        return self.rfile.read(n) if n else b""

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        self.body()
        if u.path != "/_fault":
            return self.answer(404)
        with lock:
            if "status" in q:
                faults.append(("status", int(q["status"][0])))
            if "hang" in q:
                faults.append(("hang", float(q["hang"][0])))
        self.answer(200)

    def key(self):
        return urllib.parse.urlsplit(self.path).path

    def do_GET(self):
        if self.fault():
            return
        with lock:
            body = objects.get(self.key())
        if body is None:
            return self.answer(404, b"no such object\n")
        tag = etag(body)
        if self.headers.get("If-None-Match") == tag:
            return self.answer(304, tag=tag)
        self.answer(200, body, tag)

    def do_PUT(self):
        body = self.body()
        if self.fault():
            return
        if_match = self.headers.get("If-Match")
        if_none = self.headers.get("If-None-Match")
        with lock:
            cur = objects.get(self.key())
            if if_none == "*" and cur is not None:
                status = 412
            elif if_match is not None and (
                    cur is None or (if_match != "*" and
                                    if_match != etag(cur))):
                status = 412
            else:
                objects[self.key()] = body
                status = 200
        if status == 412:
            return self.answer(412, b"precondition failed\n")
        self.answer(200, tag=etag(body))

    def do_DELETE(self):
        with lock:
            objects.pop(self.key(), None)
        self.answer(204)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def watch_parent(parent):
    while parent_alive(parent):
        time.sleep(0.5)
    os._exit(0)


def parent_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def serve(argv):
    global DIR
    DIR = argv[0]
    os.makedirs(DIR, exist_ok=True)
    parent = int(argv[1])
    srv = Server(("127.0.0.1", 0), Handler)
    if len(argv) == 5 and argv[2] == "--tls":
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(argv[3], argv[4])
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    if os.fork():
        os._exit(0)
    os.setsid()
    with open(os.path.join(DIR, "pid"), "w") as f:
        f.write("%d\n" % os.getpid())
    threading.Thread(target=watch_parent, args=(parent,), daemon=True).start()
    print(srv.server_address[1], flush=True)
    sys.stdout.close()
    os.close(1)
    srv.serve_forever()


def client(argv):
    import urllib.request
    what, url = argv[0], argv[1]
    if what == "put":
        with open(argv[2], "rb") as f:
            req = urllib.request.Request(url, data=f.read(), method="PUT")
    elif what == "get":
        req = urllib.request.Request(url)
    else:
        u = urllib.parse.urlsplit(url)
        req = urllib.request.Request("%s://%s/_fault?%s" % (
            u.scheme, u.netloc, argv[2]), data=b"", method="POST")
    with urllib.request.urlopen(req) as r:
        body = r.read()
    if what == "get":
        with open(argv[2], "wb") as f:
            f.write(body)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2:])
    else:
        client(sys.argv[1:])
