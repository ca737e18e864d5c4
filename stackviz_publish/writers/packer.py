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

"""Write whole data scripts in a child process: the test shards' quoting of logs,
compression and writing run on the machine's other core.

A thread does not do: zlib lets the GIL go, but the export's main thread holds it
nearly all the time, so the thread waits for it at each step and the export is
slower than with no thread at all. The child is a fresh interpreter running
writers/scriptcodec.py (the standard library only): it gets frames on a pipe and
answers each closed script with its size. The pipe bounds what is in flight (a
slow disk slows the export, memory stays flat). When no child can be started, the
same frames are written by the calling thread (``Local``).

A shard's pieces are ``str`` (JSON text, written as it is) or ``bytes`` (ASCII text
with no control characters but newline, return and tab, to be quoted as a JSON
string: the child quotes it, so the main thread does not).
"""
import errno
import marshal
import os
import subprocess
import sys

from stackviz_publish.writers import scriptcodec
from stackviz_publish.writers.scriptcodec import FRAME
from stackviz_publish.writers.scriptcodec import REPLY

try:
    import fcntl
except ImportError:   # not a POSIX system: the pipe keeps its size
    fcntl = None

PIPE_BYTES = 1 << 20   # asked of the kernel: a few shards in flight
BIG = 1 << 20          # str pieces above this are sent in slices (fewer copies)
_SETPIPE_SZ = getattr(fcntl, 'F_SETPIPE_SZ', 1031)   # Linux's number, before Python 3.10


class PackerError(OSError):
    """The child could not write a script (its message), or it ended."""


class Packed:
    """The size of a script handed to a packer, once written (``result()``)."""

    def __init__(self, packer):
        self._packer = packer
        self._size = None

    def result(self):
        while self._size is None:
            self._packer._read_reply()
        return self._size


class _Frames:
    """Pieces to frames, on a binary ``out``."""

    def __init__(self, out):
        self._write = out.write

    def pieces(self, data_dir, rel_path, encoding, parts, big, level):
        """One script's frames; ``big``: a part may be BIG or more (sent apart, in
        slices; else all parts go in one marshal frame)."""
        write = self._write
        spec = ('%s\0%s\0%s\0%d' % (os.path.join(data_dir, rel_path), rel_path,
                                    encoding, level)).encode('utf-8')
        write(FRAME.pack(scriptcodec.OPEN, len(spec)))
        write(spec)
        if not big:
            data = marshal.dumps(joinable(parts))
            write(FRAME.pack(scriptcodec.JOINED, len(data)))
            write(data)
            write(FRAME.pack(scriptcodec.CLOSE, 0))
            return
        text = []
        for part in parts:
            if part.__class__ is bytes:
                if text:
                    self._text(''.join(text))
                    text = []
                write(FRAME.pack(scriptcodec.RAW_PIECE, len(part)))
                write(part)
            elif len(part) >= BIG:
                if text:
                    self._text(''.join(text))
                    text = []
                for at in range(0, len(part), BIG):
                    self._text(part[at:at + BIG])
            else:
                text.append(part)
        if text:
            self._text(''.join(text))
        write(FRAME.pack(scriptcodec.CLOSE, 0))

    def _text(self, text):
        data = text.encode('ascii')
        self._write(FRAME.pack(scriptcodec.TEXT_PIECE, len(data)))
        self._write(data)


class ProcessPacker:
    """Scripts written by a child process, in the order given."""

    def __init__(self, child):
        self._child = child
        self._frames = _Frames(child.stdin)
        self._waiting = []      # Packed, in order, not yet answered
        self._rel = []          # their paths, for messages
        self._error = None

    @classmethod
    def start(cls):
        """A packer with its child running, or None when none can be started."""
        if not sys.executable or not os.path.isfile(scriptcodec.__file__):
            return None
        try:
            child = subprocess.Popen(
                [sys.executable, '-I', '-S', scriptcodec.__file__]
                + [folder for folder in (scriptcodec.isal_folder(),) if folder],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                bufsize=1 << 16, close_fds=True)
        except OSError:
            return None
        try:   # best effort: a bigger pipe lets the child fall behind by a few shards
            if fcntl is not None:
                fcntl.fcntl(child.stdin.fileno(), _SETPIPE_SZ, PIPE_BYTES)
        except OSError:
            pass
        return cls(child)

    def write(self, data_dir, rel_path, encoding, parts, big=True,
              level=scriptcodec.GZIP_LEVEL):
        """Queue a whole script; return its Packed (its size once written). ``big``:
        False when every part is less than BIG characters; ``level``: zlib's."""
        self._check()
        packed = Packed(self)
        self._waiting.append(packed)
        self._rel.append(rel_path)
        try:
            self._frames.pieces(data_dir, rel_path, encoding, parts, big, level)
            self._child.stdin.flush()
        except (BrokenPipeError, ValueError):
            self._ended()
        return packed

    def flush(self):
        try:
            self._child.stdin.flush()
        except (BrokenPipeError, ValueError):
            self._ended()

    def _read_reply(self):
        self._check()
        self.flush()
        reply = self._child.stdout.read(REPLY.size)
        if len(reply) < REPLY.size:
            self._ended()
        size, = REPLY.unpack(reply)
        rel = self._rel.pop(0)
        if size < 0:
            length = int.from_bytes(self._child.stdout.read(4), 'little')
            message = self._child.stdout.read(min(length, 4096)).decode('utf-8', 'replace')
            self._fail('%s: %s' % (rel, message or 'not written'))
        self._waiting.pop(0)._size = size

    def _ended(self):
        try:
            code = self._child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._child.kill()
            code = self._child.wait()
        rest = self._child.stdout.read(REPLY.size)
        if len(rest) == REPLY.size and REPLY.unpack(rest)[0] < 0:
            length = int.from_bytes(self._child.stdout.read(4), 'little')
            message = self._child.stdout.read(min(length, 4096)).decode('utf-8', 'replace')
            self._fail('%s: %s' % (self._rel[0] if self._rel else 'data', message))
        self._fail('the writer process ended (exit status %s)' % code)

    def _fail(self, message):
        self._error = message
        raise PackerError(errno.EIO, message)

    def _check(self):
        if self._error is not None:
            raise PackerError(errno.EIO, self._error)

    def wait(self):
        """Wait until every script is written; raise the first error."""
        while self._waiting:
            self._read_reply()

    def close(self, abort=False):
        """End the child: after the scripts given (``abort``: at once)."""
        child = self._child
        if child.returncode is not None:
            return
        if abort:
            child.kill()
        try:
            child.stdin.close()
        except OSError:
            pass
        try:
            child.wait(timeout=None if not abort else 30)
        finally:
            child.stdout.close()


class Local:
    """The same, written by the calling thread (no child could be started)."""

    def write(self, data_dir, rel_path, encoding, parts, big=True,
              level=scriptcodec.GZIP_LEVEL):
        packed = Packed(self)
        packed._size = write_pieces(data_dir, rel_path, encoding, parts, level)
        return packed

    def wait(self):
        pass

    def close(self, abort=False):
        pass


_QUOTED_MARK = '"%s"' % scriptcodec.MARK


def joinable(parts):
    """(text, raw) of a JOINED frame (see scriptcodec.joined) for small ``parts``:
    the child then joins and quotes a shard in a few C calls, not piece by piece."""
    raw = [part for part in parts if part.__class__ is bytes]
    if not raw:
        return ''.join(parts), None
    mark = _QUOTED_MARK
    return (''.join([mark if part.__class__ is bytes else part for part in parts]),
            scriptcodec.MARK.encode('ascii').join(raw))


def write_pieces(data_dir, rel_path, encoding, parts, level=scriptcodec.GZIP_LEVEL):
    """Write a whole script from pieces (see the module's text) in this thread, as
    the child does; return its bytes."""
    script = scriptcodec.Script(os.path.join(data_dir, rel_path), rel_path, encoding,
                                level)
    try:
        scriptcodec.add_pieces(script, _sliced(parts))
    except BaseException:
        script.out.close()
        raise
    return script.close()


def _sliced(parts):
    """The parts, a str of BIG characters or more in BIG slices (fewer copies)."""
    for part in parts:
        if part.__class__ is str and len(part) > BIG:
            yield from (part[at:at + BIG] for at in range(0, len(part), BIG))
        else:
            yield part


def start():
    """A process packer, or a Local one where no child can be started."""
    return ProcessPacker.start() or Local()
