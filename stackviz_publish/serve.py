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

"""Preview a published site, or a folder of exported data, on localhost.

Files are served as they are: a ``.gz`` data file comes back as gzip bytes with no
``Content-Encoding``, exactly as object-storage log servers serve it, so a preview
shows what users of those servers will see.

The server is meant for one user's browser on this machine, but any web page that
user opens can send it requests, so it is bounded like any input:

- only regular files under the served folder, by their real path: no directory
  listing, nothing through a symlink that leads out, no FIFO or device opened;
- every request path gets an answer (400, 404, 414...), never a traceback;
- only localhost Host names (plus ``allowed_hosts``): a page on another name
  that resolves to 127.0.0.1 (DNS rebinding) cannot read the run;
- a thread per connection, a listen backlog of 1024 and an idle timeout, so
  many clients at once are all answered and a silent one holds one thread only.
"""
import collections
import http.server
import os
import shutil
import sys
import threading
import urllib.parse

from stackviz_publish import logs_folder
from stackviz_publish import sitefiles
from stackviz_publish.readers import files

HOST = '127.0.0.1'
LOCAL_HOSTS = ('localhost', '127.0.0.1', '[::1]')
MAX_PATH = 2048  # characters of the request path, escapes included
BACKLOG = 1024  # the kernel caps it at net.core.somaxconn
IDLE_TIMEOUT = 30  # seconds a connection may stay silent

TYPES = {
    '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8', '.json': 'application/json',
    '.gz': 'application/gzip', '.csv': 'text/csv; charset=utf-8',
    '.txt': 'text/plain; charset=utf-8', '.log': 'text/plain; charset=utf-8',
    '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
    '.wasm': 'application/wasm',
}

# One URL prefix (tuple of path segments) served from one folder.
Mount = collections.namedtuple('Mount', 'prefix folder')
# What to serve for a folder: mounts, longest prefix first, and the path to open.
Plan = collections.namedtuple('Plan', 'mounts path data')


class ServeError(Exception):
    """The folder cannot be served as asked (one-line message)."""


class BadRequest(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _has_config(folder):
    return any(os.path.isfile(os.path.join(folder, name))
               for name in ('config.json', 'config.json.gz'))


def plan(directory, find_site=sitefiles.find_site):
    """Decide what ``directory`` is and how to serve it.

    A site (index.html), or a logs folder holding ``stackviz/index.html``, is served
    as it is. Exported data without a site (``stackviz-export OUT``, ``OUT/data``, or a
    data-only ``stackviz/data``) is served inside the installed site, mounted where the
    site reads its data (``data/``).
    """
    root = os.path.abspath(directory)
    whole = Mount((), root)
    if sitefiles.is_site(root):
        return Plan([whole], '/', None)
    site = logs_folder.TARGET_NAME
    if sitefiles.is_site(os.path.join(root, site)):
        return Plan([whole], '/%s/' % site, None)
    for data, at in ((root, ()), (os.path.join(root, 'data'), ()),
                     (os.path.join(root, site, 'data'), (site,))):
        if _has_config(data):
            break
    else:
        return Plan([whole], '/', None)
    try:
        site = find_site()
    except sitefiles.SiteError as exc:
        raise ServeError(str(exc))
    if not site:
        raise ServeError('%s holds exported data, but no built site is installed to show it '
                         '(build one: cd site && npm ci && npm run build)' % directory)
    mounts = [Mount(at + ('data',), data), Mount(at, os.path.abspath(site))]
    if at:
        mounts.append(whole)
    return Plan(mounts, '/%s' % ''.join(s + '/' for s in at), data)


def split_target(target):
    """Path segments of a request target, and whether it ends with a slash.

    Raises BadRequest for anything that is not a plain path below the root.
    """
    if not target.startswith('/'):
        raise BadRequest(400, 'Bad request path')
    path = target.split('?', 1)[0].split('#', 1)[0]
    if len(path) > MAX_PATH:
        raise BadRequest(414, 'Request path too long')
    # http.server decoded the request line as Latin-1: back to the bytes sent.
    raw = urllib.parse.unquote_to_bytes(path.encode('latin-1', 'replace'))
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError:
        raise BadRequest(400, 'Request path is not UTF-8')
    if '\0' in text:
        raise BadRequest(400, 'Bad request path')
    # An escaped slash is a slash: "..%2F" must not slip past the ".." check.
    segments = [s for s in text.split('/') if s not in ('', '.')]
    if '..' in segments:
        raise BadRequest(400, 'Bad request path')
    return segments, text.endswith('/')


def host_allowed(values, allowed=()):
    """True when exactly one Host header names localhost or an allowed name."""
    if not values or len(values) != 1:
        return False
    host = values[0].strip().lower()
    name, sep, port = host.rpartition(':') if not host.endswith(']') else (host, '', '')
    if not sep:
        name = host
    elif not port.isdigit():
        return False
    return name in LOCAL_HOSTS or name in {a.lower() for a in allowed}


def locate(mounts, segments, trailing):
    """('file', real path, root) or ('redirect', URL path) for a request, or None (404)."""
    for mount in mounts:
        n = len(mount.prefix)
        if tuple(segments[:n]) == mount.prefix:
            break
    else:
        return None
    root = os.path.realpath(mount.folder)
    real = os.path.realpath(os.path.join(root, *segments[n:]))
    if not logs_folder.is_within(real, root):
        return None
    if os.path.isdir(real):
        index = os.path.realpath(os.path.join(real, 'index.html'))
        if not logs_folder.is_within(index, root) or not os.path.isfile(index):
            return None
        if not trailing:
            return 'redirect', ''.join('/' + urllib.parse.quote(s) for s in segments) + '/'
        real = index
    return 'file', real, root


def open_regular(path, root):
    """An open binary file and its size, or None: the inputs' open policy (regular files
    only, never blocking, nothing resolving out of ``root``)."""
    try:
        f = files.open_file(path, within=root)
    except files.InputError:
        return None
    return f, os.fstat(f.fileno()).st_size


def content_type(path):
    return TYPES.get(os.path.splitext(path)[1].lower(), 'application/octet-stream')


class _Handler(http.server.BaseHTTPRequestHandler):
    server_version = 'stackviz-serve'
    sys_version = ''
    timeout = IDLE_TIMEOUT
    # Errors about unparsable requests get a status line too (0.9 answers have none).
    default_request_version = 'HTTP/1.0'

    def log_message(self, format, *args):
        pass  # a preview needs no access log

    def do_GET(self):
        self.answer(body=True)

    def do_HEAD(self):
        self.answer(body=False)

    def answer(self, body):
        if not host_allowed(self.headers.get_all('Host'), self.server.allowed_hosts):
            self.send_error(403, 'Host not allowed (serve --allow-host NAME admits a name)')
            return
        try:
            segments, trailing = split_target(self.path)
        except BadRequest as exc:
            self.send_error(exc.code, str(exc))
            return
        found = locate(self.server.mounts, segments, trailing)
        opened = open_regular(found[1], found[2]) if found and found[0] == 'file' else None
        if found and found[0] == 'redirect':
            self.send_response(301)
            self.send_header('Location', found[1])
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        if not opened:
            self.send_error(404, 'Not found')
            return
        f, size = opened
        with f:
            self.send_response(200)
            self.send_header('Content-Type', content_type(found[1]))
            self.send_header('Content-Length', str(size))
            self.end_headers()
            if body:
                shutil.copyfileobj(f, self.wfile)

    def end_headers(self):
        # A re-published site must not be shadowed by a cached old one.
        self.send_header('Cache-Control', 'no-store')
        self.send_header('X-Content-Type-Options', 'nosniff')
        super().end_headers()


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = BACKLOG
    daemon_threads = True

    def __init__(self, address, the_plan, allowed_hosts=()):
        self.mounts = the_plan.mounts
        self.plan = the_plan
        self.allowed_hosts = tuple(allowed_hosts)
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address):
        # A client that goes away mid-answer is normal; anything else is one line.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        sys.stderr.write('stackviz-publish: serve: request failed: %s\n'
                         % repr(exc).encode('ascii', 'backslashreplace').decode('ascii'))


def make_server(directory, port=0, host=HOST, allowed_hosts=(), find_site=sitefiles.find_site):
    """A bound, not yet serving, HTTP server for ``directory`` (port 0: any free port).

    Raises ServeError when the folder holds exported data and no site is installed.
    """
    return Server((host, port), plan(directory, find_site), allowed_hosts)


def url(server, directory=None):
    host, port = server.server_address[:2]
    return 'http://%s:%d%s' % (host, port, server.plan.path)


def serve_in_thread(server):
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread
