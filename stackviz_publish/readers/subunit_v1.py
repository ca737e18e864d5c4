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

"""A reader of subunit v1 (the text protocol of the testrepository era).

It yields the same event tuples as subunit_v2, and the same events as python-subunit's
v1 parser (``TestProtocolServer``) seen through a TestResult, which is what this
project used before: that parser costs several Python calls per line, and a test's
log is many lines. Here the input is read in 1 MB blocks, and the chunks of a
multipart details body (the logs) are sliced out of the block by their length,
whatever lines they hold.

The protocol as python-subunit reads it, which this reader keeps to:

- Input is cut into pieces as ``readline(V1_LINE)`` would: a line, or 1 MB of a
  longer one (a line with no end is never held whole).
- A control line is ``<word>[:]<whitespace><rest>`` with no leading whitespace; the
  word (trailing colons dropped) is a command, else the line is not subunit and is
  ignored. The name in ``test:``/outcome lines is the rest minus its last byte
  (the newline). Undecodable bytes become U+FFFD before anything is read.
- ``test:`` starts a test (outside a test only); an outcome for the running test
  (exactly its name) ends it; ``<name> [`` and ``<name> [ multipart`` open its
  details, which end at a piece that is exactly ``]\\n``. ``tags:`` changes the tags
  of the running test, or of the run outside a test (a test starts with the run's);
  ``time:`` sets the time of the events that follow.
- A line that python-subunit's parser raised on (a bad time, a bad progress value, a
  name cut inside a character, ``uxsuccess:`` outside a test) is skipped and counted
  as damage, as before.
- Details: simple ones are the lines up to ``]``, with `` ]`` unquoted; multipart
  ones are parts (content type line, name line, chunks ``<hex length>\\r\\n<bytes>``
  up to a chunk of length 0). A bad chunk header ends the details (the rest is skipped
  up to ``]``); the text read so far is kept and the outcome still counts.

Time and memory are linear in the input: every byte is looked at a bounded number of
times, and only a test's details are held until its outcome ends (as before).
"""
import datetime
import re

from stackviz_publish.format import EPOCH
from stackviz_publish.readers import subunit_v2

BLOCK = 1 << 20
V1_LINE = 1 << 20
HEADER_MAX = 32            # a chunk header is a hex length and CRLF
END = b']\n'

_START = 'start'
# The commands python-subunit knows. Its test for "skip" is ``cmd in b"skip"`` (a
# substring test), so every part of "skip", the empty word included, is a skip.
_COMMANDS = {b'test': _START, b'testing': _START, b'error': 'fail', b'failure': 'fail',
             b'progress': 'progress', b'success': 'success', b'successful': 'success',
             b'tags': 'tags', b'time': 'time', b'xfail': 'xfail',
             b'uxsuccess': 'uxsuccess'}
for _i in range(5):
    for _j in range(_i, 5):
        _COMMANDS.setdefault(b'skip'[_i:_j], 'skip')
# The words of lines as writers write them ("time: ..."), looked up whole.
_WORDS = dict(_COMMANDS)
_WORDS.update((word + b':', command) for word, command in _COMMANDS.items())
del _WORDS[b''], _WORDS[b':']
TIMES_CACHED = 4096
# Simple details: the name python-subunit gives their one part.
_SIMPLE_NAME = {'skip': 'reason', 'success': 'message'}
# The form python-subunit's writer uses for times: parsed here without iso8601.
_TIME = re.compile(rb'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{6})Z\Z')

FIRST_STAMP = subunit_v2.FIRST_STAMP
LAST_STAMP = subunit_v2.LAST_STAMP

# States
_OUTSIDE, _IN_TEST, _SIMPLE, _TYPE, _NAME, _BODY, _SKIP = range(7)


class _Bad(Exception):
    """A line python-subunit's parser raised on."""


def stamp_of(when, damage):
    """Microseconds since the epoch of an aware (or UTC) datetime; a time outside the
    years 1 to 9999 (UTC), which a ``time:`` line with an offset can say, is moved
    to the nearest of them."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    delta = when - EPOCH
    stamp = (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds
    if not FIRST_STAMP <= stamp <= LAST_STAMP:
        damage.clamped += 1
        stamp = min(max(stamp, FIRST_STAMP), LAST_STAMP)
    return stamp


class _Reader:
    """The state of one v1 stream; ``events`` collects what the current piece gave."""

    def __init__(self, damage):
        self.damage = damage
        self.events = []
        self.state = _OUTSIDE
        self.now = None
        self.run_tags = set()
        self.test_tags = None       # the running test's (a copy of the run's at start)
        self.test = None            # the running test's name
        self.outcome = None         # status of the outcome whose details are read
        self.chunks = []            # simple details, or the current multipart part
        self.parts = {}             # multipart details: name -> bytes
        self.part = None            # name of the current part
        self.want = 0               # bytes still due in the current chunk
        self.head = b''             # a chunk header cut by a piece end
        self._seconds = {}          # second of a time line -> its stamp

    # -- control lines --------------------------------------------------------------

    def control(self, line):
        """A piece outside details; raises _Bad where python-subunit's parser raised."""
        if not line.isascii():
            try:
                line.decode('utf-8')
            except UnicodeDecodeError:
                line = line.decode('utf-8', 'replace').encode('utf-8')
        space = line.find(b' ')
        command = _WORDS.get(line[:space]) if space > 0 else None
        if command is not None:
            # A known word, then a space: what split() would find, if the rest is
            # not all whitespace.
            if line[space:].isspace():
                return
            offset = space + 1
        else:
            parts = line.split(None, 1)
            if len(parts) != 2 or not line.startswith(parts[0]):
                return
            word = parts[0]
            offset = len(word) + 1
            command = _COMMANDS.get(word.rstrip(b':'))
            if command is None:
                return
        if command == 'time':
            self.now = self._time(line[offset:-1])
        elif command == 'tags':
            self._tags(line[offset:].decode('utf-8').split())
        elif command == _START:
            if self.state == _OUTSIDE:
                # As python-subunit: in a test before the name is read. A name that
                # does not decode (its line cut inside a character) leaves a test
                # with no name, whose outcome lines all fail, up to the end.
                self.state = _IN_TEST
                self.test = _name(line, offset)
                self.test_tags = set(self.run_tags)
                self.events.append((self.test, 'inprogress', None, self.now, None, None,
                                    False, None))
        elif command == 'progress':
            _progress(line[offset:].strip())
        elif self.state == _IN_TEST:
            self._outcome_line(command, _name(line, offset))
        elif command == 'uxsuccess':
            # python-subunit's parser has no uxsuccess outside a test: it raised.
            raise _Bad('uxsuccess outside a test')

    def _time(self, value):
        # "YYYY-MM-DD HH:MM:SS.ffffffZ": a second seen before (so checked) is looked
        # up; anything else goes through the checks below, or iso8601.
        if len(value) == 27 and value[19] == 0x2E and value[26] == 0x5A \
                and value[20:26].isdigit():
            stamp = self._seconds.get(value[:19])
            if stamp is not None:
                return stamp + int(value[20:26])
        match = _TIME.match(value)
        if match is None:
            import iso8601
            try:
                when = iso8601.parse_date(value.decode())
            except (ValueError, TypeError) as exc:
                raise _Bad(str(exc))
            return stamp_of(when, self.damage)
        second = match.group(1)
        stamp = self._seconds.get(second)
        if stamp is None:
            try:
                when = datetime.datetime(*map(int, (
                    second[0:4], second[5:7], second[8:10], second[11:13], second[14:16],
                    second[17:19])))
            except ValueError as exc:
                raise _Bad(str(exc))
            if len(self._seconds) >= TIMES_CACHED:
                self._seconds.clear()
            stamp = self._seconds[second] = stamp_of(when, self.damage)
        return stamp + int(match.group(2))

    def _tags(self, words):
        tags = self.run_tags if self.test_tags is None else self.test_tags
        gone = set()
        for word in words:
            if word[0] == '-':
                gone.add(word[1:])
            else:
                tags.add(word)
        tags.difference_update(gone)

    def _outcome_line(self, status, name):
        test = self.test
        if test is None:
            raise _Bad('an outcome of a test whose name did not decode')
        if name == test:
            self._report(status, {})
        elif name == test + ' [':
            self.outcome, self.state, self.chunks = status, _SIMPLE, []
        elif name == test + ' [ multipart':
            self.outcome, self.state, self.chunks = status, _TYPE, []
            self.parts, self.part, self.want, self.head = {}, None, 0, b''

    def _report(self, status, details):
        """The outcome of the running test, with its details (name -> bytes)."""
        test, now, events = self.test, self.now, self.events
        for name, data in details.items():
            events.append((test, None, None, now, name, data, True, None))
        tags = sorted(self.test_tags) if self.test_tags else None
        events.append((test, status, tags, now, None, None, False, None))
        self.state, self.test, self.test_tags = _OUTSIDE, None, None
        self.chunks, self.parts = [], {}

    # -- details ----------------------------------------------------------------------

    def simple(self, line):
        if line == END:
            name = _SIMPLE_NAME.get(self.outcome, 'traceback')
            self._report(self.outcome, {name: b''.join(self.chunks)})
        else:
            self.chunks.append(line[1:] if line[:2] == b' ]' else line)

    def end_multipart(self):
        self._close_part()
        self._report(self.outcome, self.parts)

    def part_name(self, line):
        self._close_part()
        self.part = line[:-1].decode('utf-8', 'replace')
        self.state = _BODY

    def _close_part(self):
        if self.part is not None:
            self.parts[self.part] = b''.join(self.chunks)
        self.part = None
        self.chunks = []

    def header(self, piece):
        """A chunk header (``piece``: up to its newline, or the rest of a piece that
        has none); returns True when the chunk's bytes follow."""
        if piece[-1:] != b'\n' and len(self.head) + len(piece) <= HEADER_MAX:
            self.head += piece      # the rest of the header is in the next piece
            return False
        head, self.head = self.head + piece, b''
        try:
            want = int(head.rstrip(b'\r\n'), 16) if head[-1:] == b'\n' else -1
        except ValueError:
            want = -1
        if want <= 0:
            # Size 0 ends the part: then a type line or "]". A bad header ends the
            # details: what follows is skipped up to the "]".
            self.state = _TYPE if want == 0 else _SKIP
            return False
        self.want = want
        return True


def _name(line, offset):
    try:
        return line[offset:-1].decode('utf-8')
    except UnicodeDecodeError as exc:   # the last byte cut a character
        raise _Bad(str(exc))


def _progress(value):
    """python-subunit's checks of a progress value (it raised on a bad one)."""
    try:
        if value[0] in b'+-' or value not in (b'push', b'pop'):
            int(value)
    except (IndexError, ValueError) as exc:
        raise _Bad(str(exc))


def read_lines(stream, damage):
    """Yield event tuples from the v1 ``stream``; damage goes to ``damage``."""
    reader = _Reader(damage)
    events = reader.events
    buf = b''
    pos = 0             # where reading goes on, in buf
    base = 0            # stream offset of buf[0]
    line_start = 0      # stream offset where the current line began (pieces align to it)
    eof = False
    lines = 0
    while True:
        want = reader.want
        if want and reader.state == _BODY:
            # Chunk bytes: as many as are due, across lines and pieces.
            take = buf[pos:pos + want]
            if not take:
                if eof:
                    break
                buf, base, pos, eof = _refill(stream, buf, base, pos)
                continue
            reader.chunks.append(take)
            reader.want = want - len(take)
            last = buf.rfind(b'\n', pos, pos + len(take))
            if last >= 0:
                line_start = base + last + 1
            pos += len(take)
            continue
        # The current piece: up to the next newline, at most up to the next multiple of
        # V1_LINE from its line's start (as readline(V1_LINE) cuts).
        into = base + pos - line_start
        limit = pos + V1_LINE if not into else pos - into + (into // V1_LINE + 1) * V1_LINE
        nl = buf.find(b'\n', pos, limit)
        if nl < 0 and len(buf) < limit and not eof:
            buf, base, pos, eof = _refill(stream, buf, base, pos)
            continue
        end = nl + 1 if nl >= 0 else min(limit, len(buf))
        if end == pos:
            break                   # the end of the stream
        piece = buf[pos:end]
        lines += 1
        try:
            if reader.state <= _IN_TEST:
                reader.control(piece)
            else:
                _details_step(reader, piece)
        except _Bad:
            damage.note(base + pos, len(piece), bad_packet=True)
        pos = end
        if nl >= 0:
            line_start = base + end
        if events:
            yield from events
            events.clear()
    damage.packets += lines
    if reader.state != _OUTSIDE:
        damage.truncated_at = base + pos
    yield from events


def _refill(stream, buf, base, pos):
    """Drop what was read of ``buf``, add the next block: (buf, base, pos, eof)."""
    more = stream.read(BLOCK)
    return buf[pos:] + more, base + pos, 0, not more


def _details_step(reader, piece):
    state = reader.state
    if state == _BODY:    # a chunk header is due
        if piece == END and not reader.head:
            reader.end_multipart()      # the last chunk (size 0) is missing
        else:
            reader.header(piece)
    elif state == _SIMPLE:
        reader.simple(piece)
    elif state == _TYPE:
        if piece == END:
            reader.end_multipart()
        else:
            reader.state = _NAME
    elif state == _NAME:
        reader.part_name(piece)
    elif piece == END:      # _SKIP
        reader.end_multipart()
