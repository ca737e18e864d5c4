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

"""One classic data file (version 1 layout), written as it comes, optionally gzipped,
with its script twin.

A twin lets a page opened from file:// load the data with a <script> element
(see doc/source/data-format.rst, "Script twins")::

    stackvizData("<path>", "json" | "text" | "gzip-base64", "<payload>");
"""
import base64
import gzip
import io
import os

from stackviz_publish.format import twin_path
from stackviz_publish.writers import datascript
from stackviz_publish.writers.datascript import Buffered
from stackviz_publish.writers.datascript import gzip_cost
from stackviz_publish.writers.datascript import head as _head
from stackviz_publish.writers.datascript import escape as _escape
from stackviz_publish.writers.datascript import chunks as _chunks
from stackviz_publish.writers.datascript import GZIP_LEVEL
from stackviz_publish.writers.datascript import slices as _slices

B64_BLOCK = 3 * (1 << 16)


def packed_cost(size, twin):
    """Upper bound of ``size`` bytes gzipped, and of their base64 in the twin."""
    return gzip_cost(size) + (datascript.packed_cost(size) if twin else 0)


def cost(text, gzipped, twin=True):
    """An upper bound of the bytes that ASCII JSON ``text`` (what the writers' JSON
    encoders make: no newline but one at its start or end) adds to a data file and
    its twin, which escapes quotes, backslashes and newlines."""
    size = len(text)
    if gzipped:
        return packed_cost(size, twin)
    if not twin:
        return size
    return 2 * size + text.count('"') + text.count('\\') + 2


def text_cost(text, gzipped):
    """The same for any text (a dstat log), file and twin, exactly when uncompressed."""
    size = len(text.encode('utf-8'))
    if gzipped:
        return packed_cost(size, True)
    return size + len(_escape(text))


class DataFile(Buffered):
    """Stream text into ``data_dir/rel_path`` (``.gz`` added when gzipped)."""

    def __init__(self, data_dir, rel_path, gzipped=False, twin=True, level=None,
                 encoding='json', background=None):
        self.data_dir = data_dir
        self._start(background)
        self.rel_path = rel_path + ('.gz' if gzipped else '')
        self.gzipped = gzipped
        self.encoding = encoding
        self.twin_rel = twin_path(self.rel_path) if twin else None
        self._raw = open(os.path.join(data_dir, self.rel_path), 'wb')
        self._out = gzip.GzipFile(
            fileobj=self._raw, mode='wb', compresslevel=level or GZIP_LEVEL,
            mtime=0) if gzipped else self._raw
        self._twin = None
        if twin and not gzipped:
            self._twin = open(os.path.join(data_dir, self.twin_rel), 'w',
                              encoding='ascii')
            self._twin.write(_head(self.rel_path, encoding))
        self.bytes_written = 0

    def _write(self, chunks):
        for chunk in chunks:
            for text in _slices(chunk):
                self._out.write(text.encode('utf-8'))
                if self._twin is not None:
                    self._twin.write(_escape(text))

    def close(self):
        """Finish the file and its twin; return the bytes written for both."""
        self._flush()
        self._bg.wait()
        if self.gzipped:
            self._out.close()
        self._raw.close()
        path = os.path.join(self.data_dir, self.rel_path)
        self.bytes_written = os.path.getsize(path)
        if self._twin is not None:
            self._twin.write('");\n')
            self._twin.close()
        elif self.twin_rel and self.gzipped:
            with open(path, 'rb') as source:
                _write_b64_twin(os.path.join(self.data_dir, self.twin_rel), self.rel_path,
                                iter(lambda: source.read(B64_BLOCK), b''))
        if self.twin_rel:
            self.bytes_written += os.path.getsize(os.path.join(self.data_dir, self.twin_rel))
        return self.bytes_written


def _write_b64_twin(twin_file, rel_path, blocks):
    with open(twin_file, 'w', encoding='ascii') as twin:
        twin.write(_head(rel_path, 'gzip-base64'))
        for block in blocks:
            twin.write(base64.b64encode(block).decode('ascii'))
        twin.write('");\n')


def write_whole(data_dir, rel_path, parts, gzipped=False, level=None,
                encoding='json', twin=True):
    """Write a small file (a shard, stats, config) from a string or a list of
    strings, with its twin; return the bytes written."""
    if isinstance(parts, str):
        parts = [parts]
    chunks = _chunks(parts)
    del parts
    if gzipped:
        rel_path += '.gz'
    path = os.path.join(data_dir, rel_path)
    twin_file = os.path.join(data_dir, twin_path(rel_path))
    if gzipped:
        packed = io.BytesIO()
        with gzip.GzipFile(fileobj=packed, mode='wb', compresslevel=level or GZIP_LEVEL,
                           mtime=0) as out:
            for chunk in chunks:
                for text in _slices(chunk):
                    out.write(text.encode('utf-8'))
        data = packed.getvalue()
        del packed
        with open(path, 'wb') as out:
            out.write(data)
        if twin:
            _write_b64_twin(twin_file, rel_path, [memoryview(data)[i:i + B64_BLOCK]
                                                  for i in range(0, len(data), B64_BLOCK)])
    else:
        with open(path, 'wb') as out:
            for chunk in chunks:
                for text in _slices(chunk):
                    out.write(text.encode('utf-8'))
        if twin:
            with open(twin_file, 'w', encoding='ascii') as out:
                out.write(_head(rel_path, encoding))
                for chunk in chunks:
                    for text in _slices(chunk):
                        out.write(_escape(text))
                out.write('");\n')
    total = os.path.getsize(path)
    if twin:
        total += os.path.getsize(twin_file)
    return total
