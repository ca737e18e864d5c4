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

"""The one way every input file is opened (subunit streams, repository runs, dstat logs,
--zuul-json): regular files only, never blocking, never through a symlink that leads
out of the folder the file was found in, and errors named for what they are.

A FIFO, a device, a socket or a folder is refused before anything is read from it: a
FIFO with no writer would block the publish forever, /dev/zero would never end. Read
errors are raised as InputError (not OSError), so that callers can never mistake them
for a failure to write their output.
"""
import errno
import fcntl
import io
import os
import stat

from stackviz_publish import logs_folder
from stackviz_publish.readers.errors import ReadError

_KINDS = ((stat.S_ISDIR, 'a folder'), (stat.S_ISFIFO, 'a FIFO'),
          (stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
          (stat.S_ISSOCK, 'a socket'))
_PROC_FD = '/proc/self/fd'


class InputError(ReadError):
    """An input file that cannot be read; ``reason`` says why, in a few words."""

    def __init__(self, path, reason):
        super().__init__('cannot read %s: %s' % (path, reason))
        self.path = path
        self.reason = reason


def open_file(path, within=None, text=False):
    """Open the input file ``path`` for reading (binary, buffered; text: UTF-8 with
    undecodable bytes replaced and newlines kept as they are).

    ``within`` is the real path of the folder the file was found in (a logs folder, a
    work folder, a repository): the file must resolve to a place inside it. A path the
    user named (``within`` None) may be a symlink to anywhere. Either way the file
    must be a regular file. Raises InputError.
    """
    real = path
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, 'O_CLOEXEC', 0)
    if within is not None:
        if not logs_folder.is_within(path, within):
            raise InputError(path, 'a symlink leading out of %s' % within)
        # Open the resolved path without following a last symlink, so the file opened
        # is the one just checked.
        real = os.path.realpath(path)
        flags |= getattr(os, 'O_NOFOLLOW', 0)
    try:
        _refuse_special(path, os.stat(real).st_mode)  # never even open a device
        fd = os.open(real, flags)
    except OSError as exc:
        raise InputError(path, _open_reason(exc)) from None
    try:
        _refuse_special(path, os.fstat(fd).st_mode)
        if within is not None and os.path.isdir(_PROC_FD) \
                and not logs_folder.is_within(os.path.join(_PROC_FD, str(fd)), within):
            raise InputError(path, 'it was moved out of %s while being opened' % within)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        raw = CheckedFile(fd, path)
    except BaseException:
        os.close(fd)
        raise
    buffered = io.BufferedReader(raw)
    if text:
        return io.TextIOWrapper(buffered, encoding='utf-8', errors='replace', newline='')
    return buffered


def problem(path, within=None):
    """None if ``path`` passes the policy (it is opened and closed), else the reason."""
    try:
        open_file(path, within).close()
    except InputError as exc:
        return exc.reason
    return None


def _refuse_special(path, mode):
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), 'a special file')
    raise InputError(path, 'not a regular file (%s)' % kind)


def _open_reason(exc):
    if exc.errno in (errno.EACCES, errno.EPERM):
        return 'permission denied'
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return 'no such file'
    if exc.errno == errno.ELOOP:
        return 'it became a symlink while being opened'
    if exc.errno == errno.ENXIO:
        return 'not a regular file (a socket or a device with nothing behind it)'
    return _io_reason(exc)


def _io_reason(exc):
    if exc.errno == errno.EIO:
        return 'I/O error'
    return 'I/O error (%s)' % (exc.strerror or exc)


class CheckedFile(io.FileIO):
    """A file whose read errors are InputErrors naming the file and the offset (the
    read-apart child wraps the descriptor it is handed in one too)."""

    def __init__(self, fd, path):
        super().__init__(fd, 'rb', closefd=True)
        self._path = path
        self._offset = 0

    def readinto(self, buffer):
        try:
            count = super().readinto(buffer)
        except OSError as exc:
            raise InputError(self._path, '%s at byte %d' % (_io_reason(exc), self._offset)) \
                from None
        self._offset += count or 0
        return count

    def readall(self):
        chunks = []
        while True:
            chunk = self.read(1 << 20)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)

    def read(self, size=-1):
        if size is None or size < 0:
            return self.readall()
        buffer = bytearray(size)
        count = self.readinto(buffer)
        return bytes(buffer[:count])
