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

"""Data scripts (format v2): one file ``X.js`` per data file, holding one statement
(see doc/source/data-format.rst, "Data scripts")::

    stackvizData("<path>", "gzip-base64" | "json" | "text", "<payload>");

gzip-base64 is written as it comes: the text is gzipped by a zlib stream and the gzip
bytes are base64-encoded in blocks, keeping the last 0-2 bytes for the next block, so
there is no temporary .gz file and no second copy of the data.
"""
import os

from stackviz_publish.writers.background import Inline
from stackviz_publish.writers.scriptcodec import ENCODINGS  # noqa: F401 (the names)
from stackviz_publish.writers.scriptcodec import Encoder
from stackviz_publish.writers.scriptcodec import escape
from stackviz_publish.writers.scriptcodec import FLUSH
from stackviz_publish.writers.scriptcodec import GZIP
from stackviz_publish.writers.scriptcodec import GZIP_LEVEL
from stackviz_publish.writers.scriptcodec import head
from stackviz_publish.writers.scriptcodec import JSON
from stackviz_publish.writers.scriptcodec import TAIL
from stackviz_publish.writers.scriptcodec import TEXT  # noqa: F401

BIG = 1 << 20
# A data script whose JSON text is at most this long is written as plain "json" even
# when the others are gzip-base64: the site reads it in the very task that fetched
# it, where an inflate (DecompressionStream) is asynchronous and let the page's style,
# layout and load event run first (30 to 45 ms before the summary's first screen,
# about 40 KB of JSON at any run size, painted at 2,000 tests).
PLAIN_MAX = 64 * 1024
# What a file costs beyond its payload: its statement's head (its path) and tail, and
# gzip's header and trailer. The writers take it once per file.
FILE_COST = 1024


def encoding_for(text, encoding):
    """The encoding to write JSON ``text`` with: "json" for a small text that would be
    gzip-base64 (see PLAIN_MAX), else ``encoding``."""
    return JSON if encoding == GZIP and len(text) <= PLAIN_MAX else encoding


def gzip_cost(size):
    """Upper bound of ``size`` bytes gzipped (deflate's worst-case growth is 5 bytes
    per 16 KB stored block)."""
    return size + (size >> 11) + 1


def packed_cost(size):
    """Upper bound of ``size`` bytes gzipped, then base64-encoded."""
    return gzip_cost(size) * 4 // 3 + 4


def cost(text, compress):
    """An upper bound of what ASCII JSON ``text`` (what the writers' JSON encoders
    make: newlines only between items) adds to a data script's payload. Uncompressed,
    quoting adds a backslash per quote, backslash and newline."""
    if compress:
        return packed_cost(len(text))
    return len(text) + text.count('"') + text.count('\\') + text.count('\n')


def text_cost(text, compress):
    """The same for any text (a dstat log), exact when uncompressed."""
    if compress:
        return packed_cost(len(text.encode('utf-8')))
    return len(escape(text))


def slices(text):
    """A big text in BIG pieces: encoding or escaping a 50 MB string at once would
    hold two more copies of it (one piece of it, sliced, is enough)."""
    if len(text) <= BIG:
        return (text,)
    return (text[at:at + BIG] for at in range(0, len(text), BIG))


def chunks(parts):
    """Join small pieces (fewer writes); pass big ones as they are (fewer copies: a
    50 MB attachment must not be copied five times)."""
    found = []
    small = []
    for part in parts:
        if len(part) >= BIG:
            if small:
                found.append(''.join(small))
                small = []
            found.append(part)
        else:
            small.append(part)
    if small:
        found.append(''.join(small))
    return found


class Buffered:
    """Text gathered in pieces and handed to ``_write`` (on the background thread)
    in chunks of about FLUSH characters."""

    def _start(self, background):
        self._bg = background or Inline()
        self._parts = []
        self._size = 0

    def write(self, text):
        self._parts.append(text)
        self._size += len(text)
        if self._size >= FLUSH:
            self._flush()

    def _flush(self):
        if not self._parts:
            return
        parts = self._parts
        self._parts = []
        self._size = 0
        self._bg.submit(self._write, chunks(parts))


class DataScript(Buffered):
    """Stream text into the data script ``data_dir/rel_path``; the slow part
    (compression, writing) runs on ``background``."""

    def __init__(self, data_dir, rel_path, encoding=GZIP, background=None,
                 level=GZIP_LEVEL):
        self.data_dir = data_dir
        self.rel_path = rel_path
        self.encoding = encoding
        self._start(background)
        self._enc = Encoder(encoding, level)
        self._out = open(os.path.join(data_dir, rel_path), 'w', encoding='ascii')
        self._out.write(head(rel_path, encoding))
        self.bytes_written = 0
        self.closed = False

    def _write(self, found):
        encode = self._enc.encode
        write = self._out.write
        for chunk in found:
            for text in slices(chunk):
                write(encode(text))

    def close(self):
        """Finish the statement; return the bytes of the file."""
        if self.closed:
            return self.bytes_written
        self._flush()
        self._bg.wait()
        self.closed = True
        self._out.write(self._enc.finish())
        self._out.write(TAIL)
        self._out.close()
        self.bytes_written = os.path.getsize(os.path.join(self.data_dir, self.rel_path))
        return self.bytes_written

    def abandon(self):
        """Close without finishing (the caller removes the file)."""
        self._bg.wait()
        self.closed = True
        self._out.close()


def write_script(data_dir, rel_path, parts, encoding=GZIP, level=GZIP_LEVEL):
    """Write a whole data script from a string or a list of strings; return its bytes."""
    if isinstance(parts, str):
        parts = [parts]
    found = chunks(parts)
    del parts
    enc = Encoder(encoding, level)
    path = os.path.join(data_dir, rel_path)
    with open(path, 'w', encoding='ascii') as out:
        out.write(head(rel_path, encoding))
        for chunk in found:
            for text in slices(chunk):
                out.write(enc.encode(text))
        out.write(enc.finish())
        out.write(TAIL)
    return os.path.getsize(path)


def read_script(path):
    """(path, encoding, text) of a data script: the reading rule of the site (the
    statement's three JSON string literals, never evaluated), for tools and tests."""
    import base64
    import gzip
    import json
    with open(path, encoding='ascii') as handle:
        source = handle.read()
    if not source.startswith('stackvizData(') or not source.endswith(TAIL):
        raise ValueError('%s is not a data script' % path)
    decoder = json.JSONDecoder()
    rest = source[len('stackvizData('):-len(');\n')]
    values = []
    for _ in range(3):
        value, end = decoder.raw_decode(rest)
        values.append(value)
        rest = rest[end:].lstrip(', ')
    rel_path, encoding, payload = values
    while encoding == GZIP and rest.startswith('+'):   # the payload's next literal
        value, end = decoder.raw_decode(rest[1:].lstrip())
        payload += value
        rest = rest[1:].lstrip()[end:].lstrip()
    if rest:
        raise ValueError('%s: unexpected text after the payload' % path)
    if encoding == GZIP:
        payload = gzip.decompress(base64.b64decode(payload, validate=True)).decode('utf-8')
    elif encoding not in (JSON, TEXT):
        raise ValueError('%s: unknown encoding %r' % (path, encoding))
    return rel_path, encoding, payload
