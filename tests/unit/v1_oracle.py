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

"""The v1 reading the exporter used before readers/subunit_v1.py: python-subunit's
own v1 parser (``TestProtocolServer``) fed line by line, its TestResult calls turned
into event tuples, with the two fixes the project made around it (undecodable bytes
replaced before the parser sees a line; a linear details parser). The tests hold our
reader to the same events on generated and hostile input. It is slow: tests only."""
import datetime

import subunit
from subunit import details as subunit_details

from stackviz_publish.format import EPOCH
from stackviz_publish.readers import subunit_v2

V1_LINE = 1 << 20


class _Discard:
    """Where the v1 parser's non-subunit lines go (they are not test results)."""

    def write(self, data):
        return len(data)

    def flush(self):
        pass


def _v1_stamp(timestamp, damage):
    """Microseconds since the epoch; a time outside the years 1 to 9999 (UTC), which
    a v1 ``time:`` line with an offset can say, is moved to the nearest of them."""
    if timestamp.tzinfo is None:
        timestamp = timestamp.replace(tzinfo=datetime.timezone.utc)
    delta = timestamp - EPOCH
    stamp = (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
    if not subunit_v2.FIRST_STAMP <= stamp <= subunit_v2.LAST_STAMP:
        damage.clamped += 1
        stamp = min(max(stamp, subunit_v2.FIRST_STAMP), subunit_v2.LAST_STAMP)
    return stamp


class _V1Events:
    """The TestResult calls python-subunit's v1 parser makes, as event tuples.

    Our own, not testtools' ExtendedToStreamDecorator: that one also keeps a summary
    of the run whose failure text is decoded strictly, so one non-UTF-8 byte in a
    traceback lost the test's final status."""

    OUTCOMES = {'addSuccess': 'success', 'addFailure': 'fail', 'addError': 'fail',
                'addSkip': 'skip', 'addExpectedFailure': 'xfail',
                'addUnexpectedSuccess': 'uxsuccess'}

    def __init__(self, damage):
        self.events = []
        self.damage = damage
        self.now = None
        self.run_tags = set()
        self.test_tags = None    # tags of the running test (run tags and its own)

    def __getattr__(self, name):
        status = self.OUTCOMES.get(name)
        if status is None:
            raise AttributeError(name)
        return lambda test, err=None, details=None, **_kw: self._outcome(
            test.id(), status, details)

    def time(self, when):
        self.now = _v1_stamp(when, self.damage)

    def tags(self, new_tags, gone_tags):
        tags = self.run_tags if self.test_tags is None else self.test_tags
        tags.update(new_tags)
        tags.difference_update(gone_tags)

    def startTest(self, test):
        self.test_tags = set(self.run_tags)
        self.events.append((test.id(), 'inprogress', None, self.now, None, None, False,
                            None))

    def stopTest(self, test):
        self.test_tags = None

    def progress(self, offset, whence):
        pass

    def _outcome(self, test_id, status, details):
        now = self.now
        for name, content in (details or {}).items():
            data = content if isinstance(content, bytes) else b''.join(content.iter_bytes())
            self.events.append((test_id, None, None, now, name, data, True, None))
        tags = sorted(self.test_tags) if self.test_tags else None
        self.events.append((test_id, status, tags, now, None, None, False, None))


def read_v1(stream, damage):
    """Yield event tuples from a v1 stream, as the exporter did before."""
    # python-subunit's v1 parser pushes TestResult calls, gathered here and handed on
    # line by line, so memory stays flat however long the stream is.
    client = _V1Events(damage)
    events = client.events
    server = subunit.TestProtocolServer(client, _Discard(), _Discard())
    offset = 0
    # Lines are read in pieces of at most V1_LINE bytes: a line with no end (1 GB of
    # zeros) must not be held whole. A long line of a details body goes through in
    # pieces unchanged; the rest of a long control line is noise, as it was.
    for line in iter(lambda: stream.readline(V1_LINE), b''):
        try:
            _v1_line(server, line)
        except Exception:   # a line the v1 parser chokes on (a bad date...): skip it
            damage.note(offset, len(line), bad_packet=True)
        offset += len(line)
        damage.packets += 1
        if events:
            yield from events
            events.clear()
    # No lostConnection(): it would turn the test that was running into an error,
    # where the v2 path (and the truth) says it never finished.
    if getattr(server, '_state', None) is not getattr(server, '_outside_test', None):
        damage.truncated_at = offset
    yield from events


def _v1_line(server, line):
    state = server._state
    if isinstance(getattr(state, 'details_parser', None), _Details):
        server.lineReceived(line)   # our details parser takes any bytes
        return
    try:
        line.decode('utf-8')
    except UnicodeDecodeError:
        # The parser decodes ids, tags and names strictly (and may change state
        # first): undecodable bytes become U+FFFD before it sees them.
        line = line.decode('utf-8', 'replace').encode('utf-8')
    server.lineReceived(line)
    state = server._state
    parser = getattr(state, 'details_parser', None)
    if parser is not None and not isinstance(parser, _Details):
        # An outcome with details just began: read them with our parser.
        state.details_parser = _Details(
            state, isinstance(parser, subunit_details.MultipartDetailsParser))


class _Details:
    """The details of a v1 outcome (``[`` ... ``]``), in time linear in their size.

    It stands in for python-subunit's parsers, which grow the text by concatenation
    (quadratic: a 10 MB traceback took minutes) and, on one bad chunk header, stay
    stuck, so every later line of the stream was lost. Here a bad chunk header ends
    that part; the text read so far is kept and the outcome still counts."""

    END = b']\n'
    HEADER_MAX = 32    # a chunk header is a hex length and CRLF

    def __init__(self, state, multipart):
        self._state = state
        self._parts = {}
        self._name = None
        self._chunks = []
        self._want = 0            # body bytes still due in the current chunk
        self._head = b''          # a chunk header cut by a line piece
        self._step = self._content_type if multipart else self._simple

    def lineReceived(self, line):
        self._step(line)

    def _simple(self, line):
        if line == self.END:
            return self._state.endDetails()
        self._chunks.append(line[1:] if line[:2] == b' ]' else line)

    def _content_type(self, line):
        if line == self.END:
            return self._state.endDetails()
        self._step = self._part_name   # the content type is not used: text is UTF-8

    def _part_name(self, line):
        self._close_part()
        self._name = line[:-1].decode('utf-8', 'replace')
        self._step = self._body

    def _body(self, line):
        pos = 0
        while pos < len(line):
            if self._want:
                take = line[pos:pos + self._want]
                self._chunks.append(take)
                self._want -= len(take)
                pos += len(take)
                continue
            end = line.find(b'\n', pos)
            if end == len(line) - 1 and line[pos:] == self.END and not self._head:
                return self._state.endDetails()   # the last chunk (size 0) is missing
            head = self._head + (line[pos:] if end < 0 else line[pos:end + 1])
            if end < 0 and len(head) <= self.HEADER_MAX:
                self._head = head      # the rest of the header is in the next piece
                return
            self._head = b''
            try:
                want = int(head.rstrip(b'\r\n'), 16) if end >= 0 else -1
            except ValueError:
                want = -1
            if want <= 0:
                # Size 0 ends the part: then a type line or "]". A bad header ends
                # the details: what follows is skipped up to the "]".
                self._step = self._content_type if want == 0 else self._skip
                return
            self._want = want
            pos = end + 1

    def _skip(self, line):
        if line == self.END:
            return self._state.endDetails()

    def _close_part(self):
        if self._name is not None:
            self._parts[self._name] = b''.join(self._chunks)
        self._name = None
        self._chunks = []

    def get_details(self, style=None):
        if self._step == self._simple:
            name = {'skip': 'reason', 'success': 'message'}.get(style, 'traceback')
            return {name: b''.join(self._chunks)}
        self._close_part()
        return self._parts

    def get_message(self):
        return b''.join(self._chunks)
