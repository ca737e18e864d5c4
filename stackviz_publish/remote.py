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

"""Fetch a job's files over HTTP(S) with the standard library, within stated bounds.

Log servers differ: object storage serves ``x.gz`` as the raw gzip bytes with no
``Content-Encoding``; web servers may compress on the fly and say
``Content-Encoding: gzip``. The encoding is undone here, the raw bytes are kept as
they are (the readers detect gzip by its magic bytes). Every problem is a FetchError
with a one-line reason: 404 (NotFound), other HTTP errors, timeouts, refused
connections, a transfer cut short, a file over the download budget.

Bounds: ``timeout`` seconds for the connection and for each read; the download budget
caps the bytes written to disk over all requests (so a gzip bomb stops at the
budget too); only http and https URLs are fetched, redirects included.
"""
import http.client
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

from stackviz_publish.limits import human_size

DEFAULT_TIMEOUT = 30.0
DEFAULT_BUDGET = 1024 ** 3          # bytes written to disk over a whole view
CHUNK = 256 * 1024
MAX_REDIRECTS = 5
PROGRESS_AFTER = 1.0                # seconds before a progress bar appears
USER_AGENT = 'stackviz-publish-view'


class FetchError(Exception):
    """A file could not be fetched; ``reason`` says why in a few words."""

    def __init__(self, url, reason):
        super().__init__('%s: %s' % (printable(url), reason))
        self.url = url
        self.reason = reason


class NotFound(FetchError):
    """The server says there is no such file (404, 410), or refuses it (403)."""


class OverBudget(FetchError):
    """The file would take the download past its budget."""


def printable(text, limit=300):
    """Untrusted text (URLs, server messages) fit for one terminal line: control
    characters escaped, cut at ``limit`` characters."""
    text = str(text)
    out = ''.join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return out if len(out) <= limit else out[:limit] + '...'


def check_url(url):
    """Raise FetchError unless ``url`` is an http(s) URL with a host."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise FetchError(url, 'not an http or https URL')


class _Redirects(urllib.request.HTTPRedirectHandler):
    max_redirections = MAX_REDIRECTS

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        check_url(newurl)   # never follow a redirect to file:, ftp: or the like
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class Budget:
    """Bytes left to write over a whole view (None: no limit)."""

    def __init__(self, limit=DEFAULT_BUDGET):
        self.limit = limit
        self.used = 0

    def left(self):
        return None if self.limit is None else max(0, self.limit - self.used)

    def take(self, url, count):
        self.used += count
        if self.limit is not None and self.used > self.limit:
            raise OverBudget(url, 'over the download budget of %s (--max-download)'
                             % human_size(self.limit))


class Progress:
    """A one-line progress bar on a terminal; nothing at all otherwise."""

    def __init__(self, stream=None, clock=time.monotonic, enabled=None):
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            enabled = hasattr(self.stream, 'isatty') and self.stream.isatty()
        self.enabled = enabled
        self.clock = clock
        self._start = self._last = 0.0
        self._shown = False

    def begin(self):
        self._start = self._last = self.clock()
        self._shown = False

    def update(self, name, done, total):
        now = self.clock()
        if not self.enabled or now - self._start < PROGRESS_AFTER or now - self._last < 0.1:
            return
        self._last = now
        self._shown = True
        if total:
            filled = int(30 * min(done, total) / total)
            bar = '[%s%s] %3d%%' % ('#' * filled, ' ' * (30 - filled), 100 * done // total)
            line = '%s %s of %s' % (bar, human_size(done), human_size(total))
        else:
            line = human_size(done)
        self.stream.write('\r%s %s\x1b[K' % (printable(name, 40), line))
        self.stream.flush()

    def end(self):
        if self._shown:
            self.stream.write('\n')
            self.stream.flush()
        self._shown = False


class _Decoder:
    """Undo a Content-Encoding (gzip, x-gzip, deflate; several gzip members too)."""

    def __init__(self, url, encoding):
        self.url = url
        self.encoding = encoding
        self.seen = False
        if encoding in ('gzip', 'x-gzip'):
            self._obj = zlib.decompressobj(31)
        elif encoding == 'deflate':
            self._obj = None   # zlib-wrapped or raw: decided on the first bytes
        else:
            raise FetchError(url, 'unsupported Content-Encoding %s' % printable(encoding))

    def feed(self, data, limit):
        """Decoded bytes of ``data``, at most ``limit`` + 1 of them (None: no limit)."""
        if not data:
            return b''
        self.seen = True
        if self._obj is None:
            self._obj = zlib.decompressobj(15 if data[:1] == b'\x78' else -15)
        out = []
        size = 0
        try:
            while data:
                room = 0 if limit is None else max(1, limit + 1 - size)
                chunk = self._obj.decompress(data, room)
                out.append(chunk)
                size += len(chunk)
                data = self._obj.unconsumed_tail
                if limit is not None and size > limit:
                    break
                if self._obj.eof and self._obj.unused_data:
                    data = self._obj.unused_data   # another gzip member follows
                    self._obj = zlib.decompressobj(31)
        except zlib.error as exc:
            raise FetchError(self.url, 'the %s encoding of the response is damaged (%s)'
                             % (self.encoding, exc))
        return b''.join(out)

    def finish(self):
        if self.seen and not self._obj.eof:
            raise FetchError(self.url, 'the %s encoding of the response is cut short'
                             % self.encoding)


class Fetcher:
    """GETs files into local paths; one per view, holding its budget and progress."""

    def __init__(self, timeout=DEFAULT_TIMEOUT, budget=None, progress=None, opener=None):
        self.timeout = timeout
        self.budget = budget if budget is not None else Budget()
        self.progress = progress if progress is not None else Progress(enabled=False)
        self.opener = opener or urllib.request.build_opener(_Redirects())

    def _open(self, url, method='GET'):
        check_url(url)
        request = urllib.request.Request(url, method=method, headers={
            'User-Agent': USER_AGENT, 'Accept-Encoding': 'gzip'})
        try:
            return self.opener.open(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            exc.close()
            reason = 'HTTP %d %s' % (exc.code, printable(exc.reason or '', 80))
            # 403: object storage that may not list a container says so of missing
            # files too; a path refused is as good as absent.
            if exc.code in (403, 404, 410):
                raise NotFound(url, reason.strip())
            raise FetchError(url, reason.strip())
        except FetchError:
            raise
        except Exception as exc:   # refused, DNS, TLS, timeouts, bad status lines...
            raise FetchError(url, _network_reason(exc, self.timeout))

    def exists(self, url):
        """(True, content type) when the server has ``url``; NotFound is False."""
        try:
            response = self._open(url, 'HEAD')
        except NotFound:
            return False, None
        except FetchError as exc:
            if not exc.reason.startswith(('HTTP 405', 'HTTP 501')):
                raise
            response = self._open(url)   # no HEAD here: a GET, closed unread
        with response:
            return True, response.headers.get('Content-Type', '')

    def get(self, url, dest, name=None, max_bytes=None):
        """Download ``url`` into the file ``dest`` (through ``dest``.part); return
        (bytes written, Content-Type). ``max_bytes``: a cap for this file alone."""
        response = self._open(url)
        part = dest + '.part'
        try:
            with response, open(part, 'wb') as out:
                kind = response.headers.get('Content-Type', '')
                written = self._copy(url, response, out, name or url, max_bytes)
            os.replace(part, dest)
        finally:
            if os.path.lexists(part):
                os.unlink(part)
        return written, kind

    def read(self, url, max_bytes):
        """The body of ``url`` in memory (at most ``max_bytes``); for small files."""
        response = self._open(url)
        chunks = []

        class Sink:
            def write(self, data):
                chunks.append(data)
        with response:
            self._copy(url, response, Sink(), url, max_bytes)
        return b''.join(chunks), response.headers.get('Content-Type', '')

    def _copy(self, url, response, out, name, max_bytes):
        encoding = (response.headers.get('Content-Encoding') or '').strip().lower()
        decoder = _Decoder(url, encoding) if encoding not in ('', 'identity') else None
        total = _length(response)
        limit = self._limit(max_bytes)
        if total is not None and decoder is None and limit is not None and total > limit:
            raise self._over(url, max_bytes, total)
        received = written = 0
        self.progress.begin()
        try:
            while True:
                try:
                    data = response.read(CHUNK)
                except http.client.IncompleteRead as exc:
                    raise FetchError(url, 'the transfer was cut short after %d bytes of %s'
                                     % (received + len(exc.partial), total))
                except Exception as exc:
                    raise FetchError(url, _network_reason(exc, self.timeout))
                if not data:
                    break
                received += len(data)
                if decoder is not None:
                    data = decoder.feed(data, None if limit is None else limit - written)
                if limit is not None and written + len(data) > limit:
                    raise self._over(url, max_bytes, None)
                out.write(data)
                written += len(data)
                self.progress.update(name, received, total)
            if total is not None and received < total:
                raise FetchError(url, 'the transfer was cut short after %d bytes of %d'
                                 % (received, total))
            if decoder is not None:
                decoder.finish()
        finally:
            self.progress.end()
        self.budget.take(url, written)
        return written

    def _limit(self, max_bytes):
        left = self.budget.left()
        if max_bytes is None:
            return left
        return max_bytes if left is None else min(left, max_bytes)

    def _over(self, url, max_bytes, size):
        what = ' (%s)' % human_size(size) if size is not None else ''
        left = self.budget.left()
        if max_bytes is not None and (left is None or max_bytes <= left):
            return OverBudget(url, 'larger than %s%s: not fetched' % (human_size(max_bytes), what))
        return OverBudget(url, 'over the download budget of %s%s (--max-download)'
                          % (human_size(self.budget.limit), what))


def _length(response):
    value = response.headers.get('Content-Length')
    try:
        return int(value) if value is not None and int(value) >= 0 else None
    except ValueError:
        return None


def _network_reason(exc, timeout):
    if isinstance(exc, urllib.error.URLError):
        exc = exc.reason if isinstance(exc.reason, BaseException) else exc
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return 'timed out after %g s (--timeout)' % timeout
    if isinstance(exc, ssl.SSLError):
        return 'TLS error: %s' % printable(exc.reason or exc, 120)
    if isinstance(exc, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(exc, socket.gaierror):
        return 'unknown host (%s)' % printable(exc.strerror or exc, 80)
    if isinstance(exc, OSError) and exc.strerror:
        return printable(exc.strerror, 120)
    if isinstance(exc, urllib.error.URLError):
        return printable(exc.reason, 120)
    if isinstance(exc, http.client.HTTPException):
        return 'bad HTTP response (%s)' % type(exc).__name__
    return printable('%s: %s' % (type(exc).__name__, exc), 120)
