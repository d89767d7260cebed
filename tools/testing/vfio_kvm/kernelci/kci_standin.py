#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""A stand-in of KernelCI's API and storage on 127.0.0.1, for make kernelci.

It answers the calls kernelci-core's API client (kernelci/api/latest.py),
APIHelper (kernelci/api/helper.py) and storage backend
(kernelci/storage/backend.py) make for a job, keeps the nodes in memory as
the API would store them, and records every request:

  GET  /latest/node/ID        a node
  POST /latest/node           a new node (an id is given, state "running")
  PUT  /latest/node/ID        a node updated
  PUT  /latest/nodes/ID       a node and its results (child_nodes), as
                              APIHelper.submit_results() sends them
  GET  /latest/whoami         the user
  POST /latest/telemetry      telemetry events (recorded)
  POST /upload                files into storage (kernelci-storage's form)
  GET  /storage/PATH          a stored file
  GET  /tarball/NAME          a kernel source tarball from SERVE_DIR

  kci_standin.py PORT_FILE STATE_DIR SERVE_DIR

It listens on an unused port of 127.0.0.1, writes that port to PORT_FILE,
and writes STATE_DIR/nodes.json (every node, after each change) and
STATE_DIR/requests.jsonl (each request: method, path, body).  It stops on
SIGTERM.  Nothing here validates a node as the real API's models do.
"""

import datetime
import itertools
import json
import os
import shutil
import signal
import sys
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import cgi  # Python 3.11's; kernelci-storage's form is multipart

LOCK = threading.Lock()
NODES = {}
IDS = itertools.count(1)


def now():
    return datetime.datetime.utcnow().isoformat()


def new_id():
    # the shape of a MongoDB ObjectId, as the API's ids are
    return f"{0x6a5e0000:08x}{next(IDS):016x}"


class Handler(BaseHTTPRequestHandler):
    state = serve = None

    def log_message(self, fmt, *args):
        pass

    def _record(self, body):
        entry = {"time": now(), "method": self.command, "path": self.path}
        if body is not None:
            entry["body"] = body
        with open(os.path.join(self.state, "requests.jsonl"), "a",
                  encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")

    def _save(self):
        with open(os.path.join(self.state, "nodes.json.tmp"), "w",
                  encoding="utf-8") as out:
            json.dump(list(NODES.values()), out, indent=1)
        os.replace(os.path.join(self.state, "nodes.json.tmp"),
                   os.path.join(self.state, "nodes.json"))

    def _json(self, code, data):
        raw = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _file(self, path):
        if not os.path.isfile(path):
            self._json(404, {"detail": "not found"})
            return
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.end_headers()
        with open(path, "rb") as src:
            shutil.copyfileobj(src, self.wfile, 1 << 20)

    def do_GET(self):
        self._record(None)
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts[:2] == ["latest", "node"] and len(parts) == 3:
            with LOCK:
                node = NODES.get(parts[2])
            if node:
                self._json(200, node)
            else:
                self._json(404, {"detail": f"node {parts[2]} not found"})
        elif parts[:2] == ["latest", "whoami"]:
            self._json(200, {"id": "standin", "username": "standin"})
        elif parts[0] == "tarball" and len(parts) == 2:
            self._file(os.path.join(self.serve, os.path.basename(parts[1])))
        elif parts[0] == "storage" and ".." not in parts:
            self._file(os.path.join(self.state, *parts))
        else:
            self._json(404, {"detail": "the stand-in has no " + self.path})

    def _add(self, node, parent=None):
        node = dict(node)
        node["id"] = new_id()
        node.setdefault("kind", "node")
        node.setdefault("state", "running")
        node.setdefault("result", None)
        node.setdefault("artifacts", {})
        node.setdefault("data", {})
        if parent is not None:
            node["parent"] = parent
        node["created"] = node["updated"] = now()
        NODES[node["id"]] = node
        return node

    def _hierarchy(self, item, parent):
        node = item["node"]
        if node.get("id") in NODES:
            merged = dict(NODES[node["id"]])
            merged.update(node)
            merged["updated"] = now()
            NODES[node["id"]] = node = merged
        else:
            node = self._add(node, parent)
        for child in item.get("child_nodes", []):
            self._hierarchy(child, node["id"])
        return node

    def do_POST(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["upload"]:
            form = cgi.FieldStorage(fp=self.rfile, headers=self.headers,
                                    environ={"REQUEST_METHOD": "POST"})
            dest = form.getfirst("path", "")
            if ".." in dest.split("/"):
                self._json(400, {"detail": "bad path"})
                return
            stored = []
            for key in form.keys():
                if not key.startswith("file"):
                    continue
                item = form[key]
                out = os.path.join(self.state, "storage", dest,
                                   os.path.basename(item.filename))
                os.makedirs(os.path.dirname(out), exist_ok=True)
                with open(out, "wb") as dst:
                    shutil.copyfileobj(item.file, dst)
                stored.append(f"{dest}/{os.path.basename(item.filename)}")
            self._record({"stored": stored})
            self._json(200, {"stored": stored})
            return
        body = self._body()
        self._record(body)
        if parts == ["latest", "node"]:
            with LOCK:
                node = self._add(body)
                self._save()
            self._json(200, node)
        elif parts == ["latest", "telemetry"]:
            self._json(200, {"inserted": len(body or [])})
        else:
            self._json(404, {"detail": "the stand-in has no " + self.path})

    def do_PUT(self):
        parts = self.path.split("?")[0].strip("/").split("/")
        body = self._body()
        self._record(body)
        with LOCK:
            if parts[:2] == ["latest", "node"] and len(parts) == 3:
                if parts[2] not in NODES:
                    self._json(404, {"detail": f"node {parts[2]} not found"})
                    return
                node = dict(NODES[parts[2]])
                node.update(body)
                node["id"] = parts[2]
                node["updated"] = now()
                NODES[parts[2]] = node
                self._save()
                self._json(200, node)
            elif parts[:2] == ["latest", "nodes"] and len(parts) == 3:
                if parts[2] not in NODES:
                    self._json(404, {"detail": f"node {parts[2]} not found"})
                    return
                node = self._hierarchy(body, NODES[parts[2]].get("parent"))
                self._save()
                self._json(200, node)
            else:
                self._json(404, {"detail": "the stand-in has no " + self.path})


def main():
    port_file, state, serve = sys.argv[1:4]
    os.makedirs(state, exist_ok=True)
    Handler.state, Handler.serve = state, serve
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(
        target=server.shutdown).start())
    with open(port_file, "w", encoding="utf-8") as out:
        out.write(f"{server.server_address[1]}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
