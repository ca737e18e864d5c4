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

"""Read a subunit file in a child process, which may also do the next step of the
work (``work``: the export has it make the tests, see model.make_tests): the export's
main thread then only writes them. The machines this runs on have two cores or more;
decoding the packets and making the tests are about as much work as writing them.

The child is a fork of the export: it opens nothing, keeps only the input's file
descriptor (opened and checked by files.open_file) and its pipe, reads the file from
its start with the same readers as in process, and sends what ``work`` makes of the
events (by default the event tuples) back in marshal batches. Its last frame holds
what it noted (the Damage, a gzip problem, what ``work`` returned); a ReadError comes
back as its one-line message. Whatever goes wrong with the child itself is a one-line
ReadError too.
"""
import gc
import io
import itertools
import marshal
import os
import signal
import struct

from stackviz_publish.readers import files
from stackviz_publish.readers import stream as stream_mod
from stackviz_publish.readers.errors import ReadError
from stackviz_publish.readers.subunit_v2 import Damage

FRAME = struct.Struct('<cI')   # kind, length
EVENTS, DONE, ERROR = b'E', b'D', b'X'
BATCH_EVENTS = 512
FIRST_BATCH = 16
BATCH_BYTES = 1 << 20
# Smaller files are read in process: the child costs a few milliseconds to start.
MIN_BYTES = 4 << 20
PIPE_BYTES = 1 << 20
_SETPIPE_SZ = 1031   # F_SETPIPE_SZ (Linux)


def read_apart(opened, damage, label, min_bytes=None, work=None):
    """The events of ``opened`` (a stream.Input of a file) read by a child process,
    as an Apart; None when it is read in process instead (not a file, smaller than
    ``min_bytes``, or no child could be made). ``work(events, emit)``, when given, runs
    in the child on the events: the Apart then yields what it passes to ``emit(item,
    size)`` (marshal-able items; ``size``: about how many bytes each holds), and its
    ``made`` is what ``work`` returned (marshal-able too)."""
    fd = opened.fileno()
    if fd is None or opened.kind not in ('v1', 'v2') or not hasattr(os, 'fork'):
        return None
    try:
        if os.fstat(fd).st_size < (MIN_BYTES if min_bytes is None else min_bytes):
            return None
        child = _fork(fd, label, work)
    except OSError:
        return None
    return Apart(child, opened, damage, label)


def _fork(fd, label, work):
    """The child, made by fork: it has the readers loaded already (an interpreter
    started anew spent 50 ms importing them while the export waited)."""
    read_end, write_end = os.pipe()
    try:   # best effort: a bigger pipe lets the child read ahead by a batch or two
        import fcntl
        fcntl.fcntl(write_end, _SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, OSError):
        pass
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    if pid == 0:   # the child: it never returns from here
        code = 1
        try:
            os.close(read_end)
            code = _child(fd, label, write_end, work)
        finally:
            os._exit(code)
    os.close(write_end)
    return Child(pid, os.fdopen(read_end, 'rb', buffering=1 << 16))


class Child:
    """A forked child: its pid and the read end of its pipe (``stdout``)."""

    def __init__(self, pid, stdout):
        self.pid = pid
        self.stdout = stdout
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            self._reap(os.WNOHANG)
        return self.returncode

    def wait(self):
        if self.returncode is None:
            self._reap(0)
        return self.returncode

    def _reap(self, flags):
        try:
            pid, status = os.waitpid(self.pid, flags)
        except ChildProcessError:   # reaped by someone else: its status is lost
            self.returncode = -1
            return
        if pid:
            self.returncode = os.waitstatus_to_exitcode(status)

    def kill(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


class Apart:
    """Events read by a child: iterate once; ``close()`` ends the child (always call
    it: at once when the reading was given up)."""

    def __init__(self, child, opened, damage, label):
        self._child = child
        self._opened = opened
        self._damage = damage
        self._label = label
        self.made = None

    def __iter__(self):
        # chain: the batches' events go to the model's loop with no step of ours each
        return itertools.chain.from_iterable(self._batches())

    def _batches(self):
        read = self._child.stdout.read
        while True:
            head = read(FRAME.size)
            if len(head) < FRAME.size:
                self._ended()
            kind, size = FRAME.unpack(head)
            data = read(size)
            if len(data) < size:
                self._ended()
            if kind == EVENTS:
                yield marshal.loads(data)
            elif kind == DONE:
                state = marshal.loads(data)
                self.made = state.pop('made', None)
                self._opened.note_problem(state.pop('problem', None))
                vars(self._damage).update(state)
                return
            else:
                raise ReadError(data.decode('utf-8', 'replace'))

    def _ended(self):
        code = self._child.wait()
        raise ReadError('%s: the reader process ended before the end of the stream '
                        '(exit status %s)' % (self._label, code))

    def close(self):
        child = self._child
        if child.poll() is None:
            child.kill()
        try:
            child.wait()
        finally:
            child.stdout.close()


# -- the child's side ---------------------------------------------------------------

def _child(fd, label, write_end, work=None):
    """The forked child's work: nothing of the parent's but the input's descriptor
    and the pipe is kept."""
    # A collection would touch, so copy, every page of the parent's heap.
    gc.disable()
    # Ctrl-C is the parent's to handle (it kills the child); the parent's handlers
    # (which raise in its code) are not the child's.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for signum in (signal.SIGTERM, signal.SIGALRM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    low, high = sorted((fd, write_end))
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, os.sysconf('SC_OPEN_MAX'))
    out = os.fdopen(write_end, 'wb', buffering=1 << 16)
    serve(fd, label, out, work)
    out.flush()
    return 0


def serve(fd, label, out, work=None):
    """Read the file at descriptor ``fd`` from its start (``label``: its name, for
    messages); frames to ``out``: its events, or what ``work`` makes of them."""
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        opened = stream_mod.open_input(stream=io.BufferedReader(files.CheckedFile(fd, label)))
        damage = Damage()
        batch = _Batch(out)
        made = (work or pass_events)(stream_mod.read_events(opened, damage), batch.emit)
        batch.send()
        state = dict(vars(damage), problem=opened.problem, made=made)
        _frame(out, DONE, marshal.dumps(state))
    except ReadError as exc:
        _frame(out, ERROR, str(exc).encode('utf-8', 'replace'))
    except (OSError, MemoryError, ValueError) as exc:
        message = '%s: cannot be read (%s)' % (label, exc)
        _frame(out, ERROR, message.encode('utf-8', 'replace'))


def pass_events(events, emit):
    """The ``work`` that sends the events themselves."""
    for event in events:
        data = event[5]
        emit(event, len(data) if data else 0)


class _Batch:
    """Items to EVENTS frames of about BATCH_BYTES (or BATCH_EVENTS items). The first
    frames are smaller (FIRST_BATCH items, then twice as many each time), so that the
    parent starts within a few milliseconds rather than after a whole batch."""

    def __init__(self, out):
        self.out = out
        self.items = []
        self.size = 0
        self.most = FIRST_BATCH

    def emit(self, item, size):
        items = self.items
        items.append(item)
        self.size += size
        if len(items) >= self.most or self.size >= BATCH_BYTES:
            self.send()

    def send(self):
        if self.items:
            _frame(self.out, EVENTS, marshal.dumps(self.items))
            if self.most < BATCH_EVENTS:
                self.out.flush()
                self.most = min(2 * self.most, BATCH_EVENTS)
        self.items = []
        self.size = 0


def _frame(out, kind, data):
    out.write(FRAME.pack(kind, len(data)))
    out.write(data)
