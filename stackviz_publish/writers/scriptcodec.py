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

"""How a data script's text becomes its file: the statement around the payload and
the payload's encodings (see doc/source/data-format.rst, "Data scripts").

Standard library only: the packer's child process (writers.packer) runs this file as
its program, without importing the package, so that it starts in a few milliseconds.
"""
import binascii
import marshal
import os
import struct
import sys
import zlib

GZIP = 'gzip-base64'
JSON = 'json'
TEXT = 'text'
ENCODINGS = (GZIP, JSON, TEXT)
# zlib level 3: the fastest levels (1-3) compress log text twice as fast as the
# default 6, for files about 15% larger.
GZIP_LEVEL = 3
# The test shards (most of the bytes, written while the export reads): level 1, a
# third faster than 3 on logs for files about 7% larger.
SHARD_LEVEL = 1
TAIL = '");\n'
FLUSH = 1 << 18
# A gzip-base64 payload is written as literals of about PIECE characters joined by
# " + ": Chromium runs one literal of 30 MB (a script loaded from file://) twice as
# slowly as the same text in 1 MB literals.
PIECE = 1 << 20
# json's C quoting, without importing json (and re, through it and base64): the
# packer's child starts 10 ms sooner.
try:
    from _json import encode_basestring_ascii as json_string
except ImportError:   # not CPython
    from json.encoder import encode_basestring_ascii as json_string
# The deflate used: zlib, or ISA-L's (python-isal, where it is installed: the same
# gzip format, five times as fast at level 1 on logs, files no bigger).
deflate = zlib


def use_isal(where=None):
    """Deflate with python-isal if it can be imported (from ``where`` too, a folder
    the packer's child is told, as it runs without site-packages); True if so."""
    global deflate
    if where and where not in sys.path:
        sys.path.append(where)
    try:
        from isal import isal_zlib
    except ImportError:
        return False
    deflate = isal_zlib
    return True


use_isal()


def isal_folder():
    """The folder python-isal is installed in (for the child), or None."""
    return os.path.dirname(os.path.dirname(deflate.__file__)) if deflate is not zlib \
        else None


def head(rel_path, encoding):
    return 'stackvizData(%s, "%s", "' % (json_string(rel_path), encoding)


def escape(text):
    """The body of a JSON (and JS) string literal holding ``text``, ASCII only."""
    return json_string(text)[1:-1]


class Encoder:
    """Text in, the statement's payload (ASCII) out."""

    def __init__(self, encoding, level=GZIP_LEVEL):
        if encoding not in ENCODINGS:
            raise ValueError('unknown data script encoding %r' % encoding)
        self.gzip = encoding == GZIP
        self._zip = deflate.compressobj(level, deflate.DEFLATED, 31) if self.gzip else None
        self._rest = b''
        self._piece = 0     # base64 characters in the payload's current literal

    def encode(self, text):
        if not self.gzip:
            return escape(text)
        return self._b64(self._zip.compress(text.encode('utf-8')))

    def encode_ascii(self, data):
        """The same for ASCII text given as bytes (no decoding when compressed)."""
        if not self.gzip:
            return escape(data.decode('ascii'))
        return self._b64(self._zip.compress(data))

    def _b64(self, data, last=False):
        if self._rest:
            data = self._rest + data
        cut = len(data) if last else len(data) - len(data) % 3
        self._rest = data[cut:]
        text = binascii.b2a_base64(data[:cut] if cut < len(data) else data,
                                   newline=False).decode('ascii')
        if self._piece >= PIECE and text:
            self._piece = 0
            text = '" + "' + text
        self._piece += len(text)
        return text

    def finish(self):
        if not self.gzip:
            return ''
        return self._b64(self._zip.flush(), last=True)


# -- the child process's side of the packer (see writers.packer) ------------------

FRAME = struct.Struct('<cI')   # kind, length
REPLY = struct.Struct('<q')    # bytes written, or -1: an error message follows
OPEN, TEXT_PIECE, RAW_PIECE, JOINED, CLOSE = b'O', b'T', b'R', b'J', b'C'
# Where a raw piece goes in a JOINED frame's text: neither JSON text nor a raw
# piece holds this character (it is a control character).
MARK = '\0'
# Refuse to follow a link planted where a file is to be written.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, 'O_NOFOLLOW', 0)


class Script:
    """One data script being written: ASCII pieces in, file out."""

    def __init__(self, path, rel_path, encoding, level=GZIP_LEVEL):
        self.encoder = Encoder(encoding, int(level))
        self.out = os.fdopen(os.open(path, _CREATE, 0o644), 'wb')
        self.out.write(head(rel_path, encoding).encode('ascii'))
        self.parts = []
        self.size = 0

    def add(self, data):
        self.parts.append(data)
        self.size += len(data)
        if self.size >= FLUSH:
            self.flush()

    def flush(self):
        if self.parts:
            data = self.parts[0] if len(self.parts) == 1 else b''.join(self.parts)
            self.parts = []
            self.size = 0
            self.out.write(self.encoder.encode_ascii(data).encode('ascii'))

    def close(self):
        self.flush()
        self.out.write((self.encoder.finish() + TAIL).encode('ascii'))
        size = self.out.tell()
        self.out.close()
        return size


def quote(data):
    """ASCII ``data`` with no control character but newline, return and tab, as a
    JSON string (what json_string makes of it; a few passes in C, several times
    faster)."""
    return b'"%s"' % _escaped(data)


def _escaped(data):
    return data.replace(b'\\', b'\\\\').replace(b'"', b'\\"').replace(
        b'\n', b'\\n').replace(b'\r', b'\\r').replace(b'\t', b'\\t')


def joined(text, raw):
    """A script's text from a JOINED frame: ``text`` (JSON, str) with a quoted MARK
    where each raw piece goes, and ``raw`` (None: none) the raw pieces joined by MARK
    (see ``quote``). All of it in a few C calls, whatever the number of pieces."""
    data = text.encode('ascii')
    if raw is None:
        return data
    chunks = data.split(b'\0')
    pieces = _escaped(raw).split(b'\0')
    if len(pieces) != len(chunks) - 1:
        raise ValueError('a joined frame with %d marks for %d pieces'
                         % (len(chunks) - 1, len(pieces)))
    out = [None] * (len(chunks) + len(pieces))
    out[::2] = chunks
    out[1::2] = pieces
    return b''.join(out)


def add_pieces(script, pieces):
    """Small pieces (str: JSON text; bytes: text to quote, see ``quote``), joined up
    to FLUSH characters at a time."""
    data = []
    size = 0
    for piece in pieces:
        piece = quote(piece) if piece.__class__ is bytes else piece.encode('ascii')
        data.append(piece)
        size += len(piece)
        if size >= FLUSH:
            script.add(b''.join(data))
            data = []
            size = 0
    if data:
        script.add(b''.join(data))


def serve(inp, out):
    """Frames in (``inp``), one reply per closed script out (``out``), until the end
    of ``inp``. A raw piece is text (ASCII) to be quoted as a JSON string."""
    script = None
    read = inp.read
    while True:
        frame = read(FRAME.size)
        if len(frame) < FRAME.size:
            return
        kind, size = FRAME.unpack(frame)
        data = read(size)
        if len(data) < size:
            return
        if kind == JOINED:
            script.add(joined(*marshal.loads(data)))
        elif kind == RAW_PIECE:
            script.add(quote(data))
        elif kind == TEXT_PIECE:
            script.add(data)
        elif kind == OPEN:
            script = Script(*data.decode('utf-8').split('\0'))
        elif kind == CLOSE:
            out.write(REPLY.pack(script.close()))
            out.flush()
            script = None
        else:
            raise ValueError('unknown frame %r' % kind)


def main():
    try:   # the C module: signal's enums cost 8 ms to import
        import _signal as signal
    except ImportError:
        import signal
    # Ctrl-C is the parent's to handle; the child ends when its input does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = sys.stdout.buffer
    try:
        serve(sys.stdin.buffer, out)
    except Exception as exc:   # told to the parent as one line, never a traceback
        message = ('%s' % (getattr(exc, 'strerror', None) or exc)).encode('utf-8')
        try:
            out.write(REPLY.pack(-1) + struct.pack('<I', len(message)) + message)
            out.flush()
        except OSError:
            pass
        return 1
    return 0


if __name__ == '__main__':
    if len(sys.argv) > 1:
        use_isal(sys.argv[1])
    sys.exit(main())
