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

"""Open a subunit input (file, gzip file, stdin), detect v1 or v2, and yield events.

v2 goes through our own packet reader (subunit_v2), v1 through our own line reader
(subunit_v1); both yield the same event tuples.
"""
import gzip
import io
import re
import zlib

from stackviz_publish.readers import files
from stackviz_publish.readers import subunit_v1
from stackviz_publish.readers import subunit_v2

GZIP_MAGIC = b'\x1f\x8b'
PEEK = 65536
# Lines a subunit v1 stream is made of (the protocol's keywords, at a line start).
_V1_LINE = re.compile(
    rb'^(test|testing|success|successful|failure|error|skip|xfail|uxsuccess|tags|time|'
    rb'progress)[: ]', re.MULTILINE)
FIRST_STAMP = subunit_v2.FIRST_STAMP
LAST_STAMP = subunit_v2.LAST_STAMP


class _SafeReader(io.RawIOBase):
    """A raw reader over ``stream`` that turns read failures of damaged gzip data into
    an end of stream, remembering the problem for a warning."""

    def __init__(self, stream):
        self._stream = stream
        self.problem = None

    def readable(self):
        return True

    def readinto(self, buffer):
        if self.problem:
            return 0
        try:
            # read1: one step of decompression at a time, so that a failure loses
            # nothing that was already decompressed.
            data = self._stream.read1(len(buffer))
        except (EOFError, OSError, zlib.error) as exc:
            self.problem = 'gzip data damaged or cut short (%s); everything before ' \
                'the damage was kept' % (str(exc).rstrip('.') or type(exc).__name__)
            return 0
        buffer[:len(data)] = data
        return len(data)


class Input:
    """An opened input: ``stream`` (buffered, binary), ``head`` (its first bytes,
    not consumed), ``kind`` ('v2', 'v1', 'empty' or None for not subunit)."""

    def __init__(self, stream, head, kind, compressed, safe, owned=None):
        self.stream = stream
        self.head = head
        self.kind = kind
        self.compressed = compressed
        self._safe = safe
        self._owned = owned
        self._problem = None

    @property
    def problem(self):
        return self._problem or (self._safe.problem if self._safe else None)

    def note_problem(self, problem):
        """The problem a reader of this input elsewhere (readers.apart) met."""
        self._problem = problem or self._problem

    def fileno(self):
        """The descriptor of the file opened (None for a caller's stream)."""
        return self._owned.fileno() if self._owned is not None else None

    def close(self):
        """Close what we opened (a caller's stream, stdin say, stays open)."""
        if self._owned is not None:
            self._owned.close()


def _kind(head):
    if not head:
        return 'empty'
    if head[0] == subunit_v2.SIGNATURE:
        return 'v2'
    if _V1_LINE.search(head):
        return 'v1'
    # Some runners print text before the first packet: v2 if a real packet follows.
    if subunit_v2.find_packet(head) >= 0:
        return 'v2'
    return None


def open_input(path=None, stream=None, within=None):
    """Open a file path (see files.open_file for ``within``) or a binary stream; gzip
    is detected by its magic bytes."""
    raw = files.open_file(path, within) if path is not None else stream
    compressed = False
    safe = None
    buffered = io.BufferedReader(_Passthrough(raw), PEEK)
    try:
        magic = buffered.peek(2)[:2]
    except files.InputError:   # the file's first read failed: close what we opened
        if path is not None:
            raw.close()
        raise
    if magic == GZIP_MAGIC:
        compressed = True
        safe = _SafeReader(gzip.GzipFile(fileobj=buffered, mode='rb'))
        buffered = io.BufferedReader(safe, PEEK)
    head = _peek(buffered, PEEK)
    return Input(buffered, head, _kind(head), compressed, safe,
                 owned=raw if path is not None else None)


class _Passthrough(io.RawIOBase):
    """Wrap any object with read() (stdin's buffer, a BytesIO) as a raw reader;
    closing the wrapper leaves the object open."""

    def __init__(self, stream):
        self._stream = stream

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._stream.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)


def _peek(buffered, size):
    """Up to ``size`` bytes from the start of ``buffered``, without consuming them."""
    try:
        head = buffered.peek(size)
    except (EOFError, OSError, zlib.error):
        return b''
    return head[:size]


def looks_like_subunit(path, within=None):
    """Cheap sniff: is the file at ``path`` a subunit stream (v1 or v2, gzip or not)?
    Raises ReadError when it cannot be read at all."""
    opened = open_input(path, within=within)
    try:
        return opened.kind in ('v1', 'v2')
    finally:
        opened.close()


def read_events(opened, damage):
    """An iterator of event tuples from an opened input (see subunit_v2 for the
    tuple); the reader's own generator, with no generator of ours around it (one
    step less per event)."""
    if opened.kind == 'v2':
        return subunit_v2.read_packets(opened.stream, damage)
    if opened.kind == 'v1':
        return subunit_v1.read_lines(opened.stream, damage)
    return iter(())
