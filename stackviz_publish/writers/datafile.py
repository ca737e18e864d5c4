"""One data file, written as it comes, optionally gzipped, with its script twin.

A twin lets a page opened from file:// load the data with a <script> element
(see doc/source/data-format.rst, "Script twins")::

    stackvizData("<path>", "json" | "text" | "gzip-base64", "<payload>");
"""
import base64
import gzip
import json
import os

from stackviz_publish.writers.background import Inline

FLUSH = 1 << 18
# zlib level 3: the fastest levels (1-3) compress log text twice as fast as the
# default 6, for files about 15% larger.
GZIP_LEVEL = 3
B64_BLOCK = 3 * (1 << 16)


def twin_path(rel_path):
    """x-raw.json.gz -> x-raw.json.js; 3.json -> 3.js inside a shard folder."""
    if rel_path.endswith('.gz'):
        rel_path = rel_path[:-3]
    folder, base = os.path.split(rel_path)
    if base == 'config.json' or (folder and base.endswith('.json') and base[:-5].isdigit()):
        base = base[:-5]
    return os.path.join(folder, base + '.js')


def _twin_head(rel_path, encoding):
    return 'stackvizData(%s, "%s", "' % (json.dumps(rel_path), encoding)


class DataFile:
    """Stream text into ``data_dir/rel_path`` (``.gz`` added when gzipped)."""

    def __init__(self, data_dir, rel_path, gzipped=False, twin=True, level=None,
                 encoding='json', background=None):
        self.data_dir = data_dir
        self._bg = background or Inline()
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
            self._twin.write(_twin_head(self.rel_path, encoding))
        self._parts = []
        self._size = 0
        self.bytes_written = 0

    def write(self, text):
        self._parts.append(text)
        self._size += len(text)
        if self._size >= FLUSH:
            self._flush()

    def _flush(self):
        if not self._parts:
            return
        text = ''.join(self._parts)
        self._parts = []
        self._size = 0
        self._bg.submit(self._write, text)

    def _write(self, text):
        self._out.write(text.encode('utf-8'))
        if self._twin is not None:
            self._twin.write(json.dumps(text)[1:-1])

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
            with open(path, 'rb') as source, open(
                    os.path.join(self.data_dir, self.twin_rel), 'w', encoding='ascii') as twin:
                twin.write(_twin_head(self.rel_path, 'gzip-base64'))
                for block in iter(lambda: source.read(B64_BLOCK), b''):
                    twin.write(base64.b64encode(block).decode('ascii'))
                twin.write('");\n')
        if self.twin_rel:
            self.bytes_written += os.path.getsize(os.path.join(self.data_dir, self.twin_rel))
        return self.bytes_written


def write_whole(data_dir, rel_path, text, gzipped=False, level=None,
                encoding='json', twin=True):
    """Write a small file in one go (a shard, stats, config); return bytes written."""
    data = text.encode('utf-8')
    if gzipped:
        rel_path += '.gz'
        data = gzip.compress(data, compresslevel=level or GZIP_LEVEL, mtime=0)
    with open(os.path.join(data_dir, rel_path), 'wb') as out:
        out.write(data)
    total = len(data)
    if twin:
        if gzipped:
            payload = base64.b64encode(data).decode('ascii')
            encoding = 'gzip-base64'
        else:
            payload = json.dumps(text)[1:-1]
        script = _twin_head(rel_path, encoding) + payload + '");\n'
        with open(os.path.join(data_dir, twin_path(rel_path)), 'w', encoding='ascii') as out:
            out.write(script)
        total += len(script)
    return total
