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

A line: ``2018-09-28 02:46:35.626 1234 ERROR nova.compute.manager [req-... ...] msg``.
A record is its head line plus continuation lines: lines that do not start with a
timestamp (a multi-line message), and lines that carry the head's exact timestamp
and PID but no ``[context]`` (oslo.log writes each traceback line that way).

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
# timestamp, pid, level, logger, and "[" when a context follows (a record's head).
HEADER = re.compile(rb'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,6})?) (\d+) ([A-Z]+) '
                    rb'(\S+)(?: (\[))?')
_STAMP = re.compile(rb'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d')
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
    looks_like_oslo sees whole lines whatever the block size."""
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


def looks_like_oslo(block):
    """None when ``block`` (the file's first bytes) reads as oslo.log, else why not."""
    if b'\0' in block[:65536]:
        return 'a binary file'
    lines = block[:65536].split(b'\n', SNIFF_LINES)[:SNIFF_LINES]
    if any(HEADER.match(line) for line in lines):
        return None
    return 'not an oslo.log file (no "YYYY-MM-DD HH:MM:SS.mmm PID LEVEL" line at its start)'


class Scan:
    """The pass over one file: ``records()`` yields the Records kept, in file order;
    ``notes`` says what was skipped."""

    def __init__(self, path, within, wanted, budget=None, label=None):
        self.path = path
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
                problem = looks_like_oslo(block)
                if problem:
                    self.notes.append('%s skipped: %s' % (self.label, problem))
                    return
            if skipping:   # the rest of an over-long line
                end = block.find(b'\n')
                if end < 0:
                    continue
                block = block[end + 1:]
                line_no += 1
                skipping = False
            buf = carry + block if carry else block
            cut = _cut_point(buf)
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
                head = _head_of(part, part.rfind(b'\n', 0, pos) + 1)
                starts.setdefault(head, set()).add(piece[:ID_LENGTH])
        for needle in _ERROR_NEEDLES:
            pos = part.find(needle)
            while pos >= 0:
                line = part.rfind(b'\n', 0, pos) + 1
                match = HEADER.match(part, line)
                if match and match.end(3) == pos + len(needle) and \
                        part[pos + len(needle):pos + len(needle) + 1] == b' ':
                    starts.setdefault(_head_of(part, line), set())
                pos = part.find(needle, pos + len(needle))
        counted, at = line_no, 0
        for start in sorted(starts):
            counted += part.count(b'\n', at, start)
            at = start
            yield self._record(part, start, counted, starts[start])
        self.lines = counted + part.count(b'\n', at)

    def _record(self, part, start, line_no, ids):
        match = HEADER.match(part, start)
        end = _record_end(part, start, match)
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
        return Record(line_no, parse_time(stamp), name, text, ids, level in ERROR_LEVELS)


def _cut_point(buf):
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
        match = HEADER.match(buf, prev)
        if match and match.group(5):
            return prev
        pos = prev
    return last


def _prefix(part, match):
    """The bytes a record's oslo.log exception lines repeat: timestamp and PID."""
    return part[match.start(1):match.end(2) + 1]


def _head_of(part, line):
    """The start of the record holding the line at ``line`` (a continuation line
    belongs to the head above it)."""
    for _ in range(MAX_CONTINUATION):
        match = HEADER.match(part, line)
        if (match and match.group(5)) or line == 0:
            return line
        prev = part.rfind(b'\n', 0, line - 1) + 1
        if match is not None and not part.startswith(_prefix(part, match), prev):
            return line
        line = prev
    return line


def _record_end(part, start, match):
    end = part.find(b'\n', start) + 1 or len(part)
    if match is None:
        return end
    prefix = _prefix(part, match)
    size = len(part)
    for _ in range(MAX_CONTINUATION):
        if end >= size:
            break
        if part.startswith(prefix, end):   # an exception line, or a record of its own
            nxt = HEADER.match(part, end)
            if nxt is None or nxt.group(5):
                break
        elif _STAMP.match(part, end):     # another time or process: the next record
            break
        end = part.find(b'\n', end) + 1 or size
    return end


def _reason(exc):
    return str(exc) or type(exc).__name__
