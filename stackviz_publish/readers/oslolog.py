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

"""Read an oslo.log service log (plain or gzip) in one streaming pass, keeping only the
records that name a wanted request id and the ERROR/CRITICAL/TRACE records.

Two line formats, told apart from the file's first lines:

- oslo.log's own: ``2018-09-28 02:46:35.626 1234 ERROR nova.compute.manager [req-...] msg``
- a journal export of a devstack service (``journalctl -o short-precise``, today's
  ``screen-*.txt``): ``Sep 28 02:46:35.626543 host devstack@n-cpu.service[1234]:
  ERROR nova.compute.manager [None req-...] msg``; the year comes from the run.

A record is its head line (one with a ``[context]``) plus continuation lines: lines
that do not start with a timestamp (a multi-line message), and lines from the same
source with no context (oslo.log writes each traceback line that way). The same
source is the same timestamp and PID in oslo.log files, the same unit and PID in
journal exports.

The file is read in blocks; each block is searched by C code (a regex for request
ids, ``bytes.find`` for levels), and Python only looks at the lines found, so the
pass costs little more than the decompression. Memory: one block, the wanted ids and
the records kept.
"""
import calendar
import itertools
import operator
import re
import time
import zlib

from stackviz_publish.readers import files

BLOCK = 1 << 20
MAX_LINE = 1 << 20           # a longer line is skipped (counted in a note)
MAX_CONTINUATION = 200       # lines after a head kept with it
MAX_RECORD_BYTES = 16 << 10  # a longer record is cut, with a marker
SNIFF_LINES = 200
SNIFF_BYTES = 65536
ID_PREFIX = b'req-'
ID_LENGTH = 36     # the uuid after "req-"; wanted ids are given as these 36 bytes
RAW_BLOCK = 1 << 18
# timestamp, source (pid, or unit[pid]), level, logger, and "[" when a context
# follows (a record's head).
HEADER = re.compile(rb'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?) (\d+) ([A-Z]+) '
                    rb'(\S+)(?: (\[))?')
_STAMP = re.compile(rb'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d')
JOURNAL_HEADER = re.compile(rb'([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?:\.\d{1,6})?) \S+ '
                            rb'([^\s\[]+\[\d+\]): ([A-Z]+) (\S+)(?: (\[))?')
_JOURNAL_STAMP = re.compile(rb'[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d')
ERROR_LEVELS = (b'ERROR', b'CRITICAL', b'TRACE')
_LEVEL_NAMES = {}
# Heads only: oslo.log writes a traceback's lines with the TRACE (older) or ERROR
# prefix after an ERROR head, and they are kept with it as continuation lines. No
# space after the level: a needle ending in a frequent byte is searched slower.
_ERROR_NEEDLES = (b' ERROR', b' CRITICAL')
_ID_BYTES = operator.itemgetter(slice(0, ID_LENGTH))

CUT_MARK = '\n[stackviz: cut]'


class Record:
    """One record kept: where it is, when, what it says and why it was kept."""
    __slots__ = ('line', 'time', 'level', 'text', 'ids', 'error')

    def __init__(self, line, when, level, text, ids, error):
        self.line = line        # 1-based line number of the head
        self.time = when        # seconds since the epoch (UTC), or None
        self.level = level      # 'ERROR', 'INFO'... or None
        self.text = text
        self.ids = ids          # wanted request ids it names (bytes)
        self.error = error      # an ERROR/CRITICAL/TRACE head


class Stop(Exception):
    """Raised by the ``budget`` callback to end the pass early (time or size spent)."""


_minute_cache = {}


def parse_time(stamp):
    """b'2018-09-28 02:46:35.626' -> seconds since the epoch, read as UTC."""
    minute = stamp[:16]
    base = _minute_cache.get(minute)
    if base is None:
        if len(_minute_cache) > 100000:
            _minute_cache.clear()
        base = _minute_cache[minute] = calendar.timegm(time.strptime(
            minute.decode('ascii'), '%Y-%m-%d %H:%M'))
    return base + float(stamp[17:])


def parse_journal_time(stamp, year):
    """b'Sep 28 02:46:35.626543' (and the run's year) -> seconds since the epoch."""
    minute = stamp[:12]
    key = (minute, year)
    base = _minute_cache.get(key)
    if base is None:
        if len(_minute_cache) > 100000:
            _minute_cache.clear()
        base = _minute_cache[key] = calendar.timegm(time.strptime(
            '%d %s' % (year, minute.decode('ascii')), '%Y %b %d %H:%M'))
    return base + float(stamp[13:])


class Format:
    """A line format: its head regex (groups: time, source, level, logger, "["), what
    starts any line of it, and how its times read."""

    def __init__(self, name, header, stamp, key_group, parse):
        self.name = name
        self.header = header
        self.stamp = stamp
        self.key_group = key_group   # first group of what continuation lines repeat
        self.parse = parse

    def key(self, part, match):
        return part[match.start(self.key_group):match.end(2)]


OSLO = Format('oslo.log', HEADER, _STAMP, 1, lambda stamp, year: parse_time(stamp))
JOURNAL = Format('journal', JOURNAL_HEADER, _JOURNAL_STAMP, 2, parse_journal_time)
FORMATS = (OSLO, JOURNAL)


def _blocks(handle):
    """Decompressed blocks of an opened input (gzip found by its magic bytes), none
    longer than BLOCK: a gzip bomb costs time (budgeted), never memory."""
    if handle.peek(2)[:2] != b'\x1f\x8b':
        yield from iter(lambda: handle.read(BLOCK), b'')
        return
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    data = b''
    while True:
        if not data:
            data = handle.read(RAW_BLOCK)
            if not data:
                break
        block = inflate.decompress(data, BLOCK)
        data = inflate.unconsumed_tail
        if block:
            yield block
        if inflate.eof:   # members of a concatenated gzip file follow one another
            data = inflate.unused_data or handle.read(RAW_BLOCK)
            if not data:
                return
            inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    if not inflate.eof:
        raise EOFError('the gzip stream is cut short')


def _sniffed(blocks):
    """The same blocks, the first one grown to SNIFF_BYTES (or the whole file) so that
    sniff sees whole lines whatever the block size."""
    first = []
    size = 0
    for block in blocks:
        if first is None:
            yield block
            continue
        first.append(block)
        size += len(block)
        if size >= SNIFF_BYTES:
            yield b''.join(first)
            first = None
    if first:
        yield b''.join(first)


def sniff(block):
    """(the Format of ``block``, the file's first bytes, None) or (None, why not)."""
    if b'\0' in block[:SNIFF_BYTES]:
        return None, 'a binary file'
    lines = block[:SNIFF_BYTES].split(b'\n', SNIFF_LINES)[:SNIFF_LINES]
    for fmt in FORMATS:
        if any(fmt.header.match(line) for line in lines):
            return fmt, None
    return None, ('not an oslo.log file (no "YYYY-MM-DD HH:MM:SS.mmm PID LEVEL" line, '
                  'nor a journal export of one, at its start)')


class Scan:
    """The pass over one file: ``records()`` yields the Records kept, in file order;
    ``notes`` says what was skipped."""

    def __init__(self, path, within, wanted, budget=None, label=None, year=None):
        self.path = path
        self.year = year or time.gmtime().tm_year   # for journal times, which have none
        self.fmt = OSLO
        self.label = label or path      # how notes name the file
        self.within = within
        self.wanted = wanted            # a set of request ids (36 bytes, no "req-")
        self.budget = budget or (lambda n: None)
        self.notes = []
        self.long_lines = 0
        self.bytes_read = 0
        self.lines = 1          # number of the next line to read

    def records(self):
        try:
            with files.open_file(self.path, self.within) as handle:
                yield from self._read(handle)
        except files.InputError as exc:
            self.notes.append('%s not read: %s' % (self.label, exc.reason))
        except (OSError, EOFError, zlib.error) as exc:   # damaged gzip: keep what was read
            self.notes.append('%s: damaged after %d bytes (%s): the lines before were read'
                              % (self.label, self.bytes_read, _reason(exc)))

    def _read(self, handle):
        carry = b''
        line_no = 1
        skipping = False
        first = True
        for block in _sniffed(_blocks(handle)):
            self.bytes_read += len(block)
            self.budget(len(block))
            if first:
                first = False
                fmt, problem = sniff(block)
                if problem:
                    self.notes.append('%s skipped: %s' % (self.label, problem))
                    return
                self.fmt = fmt
            if skipping:   # the rest of an over-long line
                end = block.find(b'\n')
                if end < 0:
                    continue
                block = block[end + 1:]
                line_no += 1
                skipping = False
            buf = carry + block if carry else block
            cut = _cut_point(buf, self.fmt)
            if cut == 0:
                if len(buf) > MAX_LINE:
                    self.long_lines += 1
                    carry, skipping = b'', True
                else:
                    carry = buf
                continue
            part, carry = buf[:cut], buf[cut:]
            yield from self._part(part, line_no)
            line_no = self.lines
        if carry and not skipping:
            yield from self._part(carry + b'\n', line_no)
        if self.long_lines:
            self.notes.append('%s: %d line(s) longer than %d bytes skipped'
                              % (self.label, self.long_lines, MAX_LINE))

    def _part(self, part, line_no):
        """The records of ``part`` (whole lines) worth keeping."""
        starts = {}
        fmt = self.fmt
        # Split at "req-" and look the 36 bytes after each up, with C-level maps only:
        # several times faster than a regex for ids or a Python loop over them.
        pieces = part.split(ID_PREFIX)
        flags = list(map(self.wanted.__contains__, map(_ID_BYTES, pieces)))
        flags[0] = False   # the text before the first "req-"
        if any(flags):
            # piece i starts after i "req-" and the pieces before it
            ends = zip(itertools.accumulate(map(len, pieces)), itertools.count(0, 4))
            for (end, skipped), piece in zip(itertools.compress(ends, flags),
                                             itertools.compress(pieces, flags)):
                pos = end - len(piece) + skipped
                head = _head_of(part, part.rfind(b'\n', 0, pos) + 1, fmt)
                starts.setdefault(head, set()).add(piece[:ID_LENGTH])
        for needle in _ERROR_NEEDLES:
            pos = part.find(needle)
            while pos >= 0:
                line = part.rfind(b'\n', 0, pos) + 1
                match = fmt.header.match(part, line)
                if match and match.end(3) == pos + len(needle) and \
                        part[pos + len(needle):pos + len(needle) + 1] == b' ':
                    starts.setdefault(_head_of(part, line, fmt), set())
                pos = part.find(needle, pos + len(needle))
        counted, at = line_no, 0
        for start in sorted(starts):
            counted += part.count(b'\n', at, start)
            at = start
            yield self._record(part, start, counted, starts[start])
        self.lines = counted + part.count(b'\n', at)

    def _record(self, part, start, line_no, ids):
        fmt = self.fmt
        match = fmt.header.match(part, start)
        end = _record_end(part, start, match, fmt)
        raw = part[start:end].rstrip(b'\r\n')
        text = raw[:MAX_RECORD_BYTES].decode('utf-8', 'replace')
        if len(raw) > MAX_RECORD_BYTES:
            text += CUT_MARK
        if match is None:
            return Record(line_no, None, None, text, ids, False)
        stamp, _pid, level = match.group(1, 2, 3)
        name = _LEVEL_NAMES.get(level)
        if name is None:
            name = _LEVEL_NAMES[level] = level.decode('ascii')
        return Record(line_no, fmt.parse(stamp, self.year), name, text, ids,
                      level in ERROR_LEVELS)


def _cut_point(buf, fmt):
    """Where to end this block's part: after its last whole line, and before the last
    record head found near the end, so that a record's continuation lines are never
    split between two parts (unless it is very long)."""
    last = buf.rfind(b'\n') + 1
    if last == 0:
        return 0
    pos = last
    for _ in range(MAX_CONTINUATION):
        prev = buf.rfind(b'\n', 0, pos - 1) + 1
        if prev == 0:
            return last
        match = fmt.header.match(buf, prev)
        if match and match.group(5):
            return prev
        pos = prev
    return last


def _head_of(part, line, fmt):
    """The start of the record holding the line at ``line`` (a continuation line
    belongs to the head above it)."""
    for _ in range(MAX_CONTINUATION):
        match = fmt.header.match(part, line)
        if (match and match.group(5)) or line == 0:
            return line
        if match is None and fmt.stamp.match(part, line):
            return line    # a line of some other shape: a record of its own
        prev = part.rfind(b'\n', 0, line - 1) + 1
        if match is not None:
            above = fmt.header.match(part, prev)
            if above is None or fmt.key(part, above) != fmt.key(part, match):
                return line
        line = prev
    return line


def _record_end(part, start, match, fmt):
    end = part.find(b'\n', start) + 1 or len(part)
    if match is None:
        return end
    key = fmt.key(part, match)
    size = len(part)
    fast = fmt is OSLO   # oslo.log: continuation lines start with the head's key
    for _ in range(MAX_CONTINUATION):
        if end >= size:
            break
        if fast and not part.startswith(key, end):
            if _STAMP.match(part, end):    # another time or process: the next record
                break
        else:
            nxt = fmt.header.match(part, end)
            if nxt is None:
                if fmt.stamp.match(part, end):
                    break
            elif nxt.group(5) or fmt.key(part, nxt) != key:
                break
        end = part.find(b'\n', end) + 1 or size
    return end


def _reason(exc):
    return str(exc) or type(exc).__name__
