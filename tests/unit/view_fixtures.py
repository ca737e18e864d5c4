# Copyright stackviz-publish developers.
#
# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Log servers on 127.0.0.1 for the ``view`` tests, and job logs folders to serve.

``LogServer`` behaves like object storage by default: files only (no listings, a
folder is a 404), ``.gz`` files as their raw bytes with no ``Content-Encoding``, HEAD
answered. With ``encoding=True`` it behaves like a web server compressing on the fly:
every body is sent with ``Content-Encoding: gzip`` (a ``.gz`` file as it is, the way
a server configured with ``AddEncoding gzip .gz`` does). ``routes`` overrides paths
with handlers (Zuul's API, failures).
"""
import gzip
import http.server
import json
import os
import threading
import time

from tests.unit import publish_fixtures as fx

BUILD = '2a7b0e9a1c8f4d5e9b3c6d7e8f901234'


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):
        pass

    def do_HEAD(self):
        self._answer(head=True)

    def do_GET(self):
        self._answer(head=False)

    def _answer(self, head):
        server = self.server
        server.requests.append((self.command, self.path))
        route = server.routes.get(self.path)
        if route is not None:
            return route(self, head)
        rel = self.path.split('?', 1)[0].lstrip('/')
        path = os.path.join(server.root, *rel.split('/'))
        if not rel or '..' in rel.split('/') or not os.path.isfile(path):
            return self.send_body(server.missing, b'<html><body>No</body></html>',
                                  'text/html', head)
        with open(path, 'rb') as f:
            body = f.read()
        kind = 'application/gzip' if path.endswith('.gz') else (
            'application/json' if path.endswith('.json') else 'text/plain')
        encoding = None
        if server.encoding:
            encoding = 'gzip'
            if not path.endswith('.gz'):
                body = gzip.compress(body)
            else:
                kind = 'text/plain'
        self.send_body(200, body, kind, head, encoding)

    def send_body(self, code, body, kind, head=False, encoding=None, length=None):
        self.send_response(code)
        self.send_header('Content-Type', kind)
        if encoding:
            self.send_header('Content-Encoding', encoding)
        self.send_header('Content-Length', str(len(body) if length is None else length))
        self.end_headers()
        if not head:
            self.wfile.write(body)


class LogServer:
    """A log server for ``root`` on 127.0.0.1 (ephemeral port), in a thread."""

    def __init__(self, root, encoding=False, routes=None, missing=404):
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.root = root
        self.httpd.encoding = encoding
        self.httpd.missing = missing     # the status of a missing file (S3 says 403)
        self.httpd.routes = dict(routes or {})
        self.httpd.requests = []
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self):
        return 'http://127.0.0.1:%d' % self.httpd.server_address[1]

    @property
    def requests(self):
        return self.httpd.requests

    def url(self, path=''):
        return self.base + '/' + path.lstrip('/')

    def route(self, path, handler):
        self.httpd.routes[path] = handler

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# Route handlers: (handler, head) -> None

def json_answer(data):
    def answer(handler, head):
        handler.send_body(200, json.dumps(data).encode(), 'application/json', head)
    return answer


def html_page(handler, head):
    handler.send_body(200, b'<!DOCTYPE html><html><body><h1>Please log in</h1></body></html>',
                      'text/html; charset=utf-8', head)


def slow(seconds, body=b'x'):
    def answer(handler, head):
        time.sleep(seconds)
        handler.send_body(200, body, 'application/octet-stream', head)
    return answer


def cut_transfer(body, declared):
    """Sends ``body`` while announcing ``declared`` bytes, then closes the connection."""
    def answer(handler, head):
        handler.send_body(200, body, 'application/octet-stream', head, length=declared)
        handler.close_connection = True
    return answer


def encoded(body, kind='application/octet-stream'):
    """``body`` sent as it is, declared as Content-Encoding: gzip."""
    def answer(handler, head):
        handler.send_body(200, body, kind, head, encoding='gzip')
    return answer


def gone(handler, head):
    handler.send_body(500, b'oops', 'text/plain', head)


# Job logs folders, as gate jobs upload them.

def devstack_gate_logs(root, tests=120):
    """devstack-gate: the logs folder holds testrepository.subunit.gz and
    dstat-csv_log.txt; no manifest."""
    logs, summary = fx.devstack_gate(root, tests=tests, unfinished=1)
    return logs, summary


INVENTORY = """\
all:
  children:
    subnode:
      hosts:
        compute1: null
  hosts:
    compute1:
      ansible_host: !unsafe '10.0.0.2'
    controller:
      ansible_host: !unsafe '10.0.0.1'
      nodepool:
        label: !unsafe 'ubuntu-noble'
  vars:
    devstack_localrc:
      LOGFILE: !unsafe '/opt/stack/logs/devstacklog.txt'
      NOTE: !unsafe 'a long value: folded
        over two lines'
    zuul:
      build: !unsafe '{build}'
      change: !unsafe '123456'
      items:
      - change: !unsafe '1'
        project:
          name: !unsafe 'other/project'
      job: !unsafe 'tempest-full-py3'
      message: !unsafe "Fix the thing\\n\\nIt was: broken\\
        \\ for a while"
      patchset: !unsafe '7'
      pipeline: !unsafe 'check'
      project:
        canonical_name: !unsafe 'opendev.org/openstack/nova'
        name: !unsafe 'openstack/nova'
""".format(build=BUILD)


def _manifest_tree(folder):
    entries = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isdir(path):
            entries.append({'name': name, 'mimetype': 'application/directory',
                            'encoding': None, 'children': _manifest_tree(path)})
        else:
            entries.append({'name': name, 'mimetype': 'text/plain', 'encoding': None,
                            'last_modified': 0, 'size': os.path.getsize(path)})
    return entries


def write_manifest(logs):
    """zuul-manifest.json for ``logs``, in the shape Zuul's upload roles write it."""
    tree = _manifest_tree(logs)
    with open(os.path.join(logs, 'zuul-manifest.json'), 'w') as f:
        json.dump({'tree': tree, 'index_links': False}, f)


def zuul_logs(root, tests=120, manifest=True):
    """A multi-node Zuul v3 job's log root: testrepository.subunit from
    fetch-subunit-output at the root, one dstat log per node under <node>/logs,
    zuul-info/inventory.yaml, job-output.txt, and zuul-manifest.json."""
    logs = os.path.join(root, 'zuul-logs')
    summary = fx.write_stream(os.path.join(logs, 'testrepository.subunit'), tests=tests)
    fx.write_dstat(os.path.join(logs, 'controller', 'logs', 'dstat-csv_log.txt'),
                   host='controller')
    fx.write_dstat(os.path.join(logs, 'compute1', 'logs', 'dstat-csv_log.txt'),
                   host='compute1', seed=1)
    os.makedirs(os.path.join(logs, 'zuul-info'))
    with open(os.path.join(logs, 'zuul-info', 'inventory.yaml'), 'w') as f:
        f.write(INVENTORY)
    with open(os.path.join(logs, 'job-output.txt'), 'w') as f:
        f.write('ok\n')
    if manifest:
        write_manifest(logs)
    return logs, summary


def zuul_build(log_url, **extra):
    """An answer of Zuul's build API (the shape of recent Zuul versions)."""
    build = {'uuid': BUILD, 'job_name': 'tempest-full-py3', 'result': 'FAILURE',
             'log_url': log_url, 'pipeline': 'gate',
             'ref': {'project': 'openstack/nova', 'change': 123456, 'patchset': '7',
                     'branch': 'master'},
             'buildset': {'uuid': 'b' * 32}, 'artifacts': []}
    build.update(extra)
    return build
