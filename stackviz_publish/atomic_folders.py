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

"""Atomic folder operations: lock a folder, build a new one beside its final place,
swap it in with one rename, and remove what a killed run left.

A folder built and swapped this way is seen old or new, never half written: a run
killed at any moment leaves the previous folder or none.
"""
import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import uuid

from stackviz_publish import stopping

OLD_PREFIX = '.stackviz.old-'
TMP_INFIX = '.tmp-'
# Written first into each temporary folder, removed before the folder takes OUT's
# place: a later run removes only folders holding it (and not locked: not in use).
TMP_MARKER = '.stackviz-export-in-progress'

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@contextlib.contextmanager
def locked(logs_root):
    """Hold an exclusive lock on LOGS_DIR itself, so two publishes never interleave.

    Locking the folder's own descriptor writes no lock file anywhere.
    """
    fd = os.open(logs_root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def remove_path(path):
    """Remove a file, symlink or folder without following symlinks."""
    if os.path.islink(path) or not os.path.isdir(path):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    else:
        # rmtree never follows symlinks found inside the tree.
        shutil.rmtree(path, ignore_errors=True)


def _exchange(a, b):
    """Swap two paths atomically with renameat2(RENAME_EXCHANGE); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                          ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), b)


def place(stage, target, checkpoint=None):
    """Put the staged folder at ``target``, replacing what was there.

    With renameat2 the swap is one atomic step: readers see the old site or the new
    one. Without it, the old site is renamed aside first; a kill between the two
    renames leaves no site (never a half one), and the old copy is cleaned next time.
    """
    checkpoint = checkpoint or (lambda step: None)
    if os.path.lexists(target):
        if os.path.isdir(target) and not os.path.islink(target) and _exchange(stage, target):
            checkpoint('swapped')
            remove_path(stage)  # now holds the previous site
            return
        old = os.path.join(os.path.dirname(target), OLD_PREFIX + uuid.uuid4().hex[:8])
        os.rename(target, old)
        checkpoint('moved-aside')
        try:
            os.rename(stage, target)
        except OSError:
            os.rename(old, target)  # put the previous one back
            raise
        checkpoint('renamed-in')
        remove_path(old)
    else:
        os.rename(stage, target)
        checkpoint('renamed-in')


def try_lock(path):
    """An fd holding an exclusive lock on folder ``path``, or None if it is taken."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_stale_temps(parent, base):
    """Remove ``.BASE.tmp-*`` folders in ``parent`` that an export of ours left (they
    hold our marker) and that no running export holds (their lock is free)."""
    removed = []
    prefix = '.%s%s' % (base, TMP_INFIX)
    for name in os.listdir(parent):
        path = os.path.join(parent, name)
        if not name.startswith(prefix) or os.path.islink(path) or not os.path.isdir(path) \
                or not os.path.isfile(os.path.join(path, TMP_MARKER)):
            continue
        try:
            fd = try_lock(path)
        except OSError:
            continue
        if fd is None:
            continue
        try:
            remove_path(path)
            removed.append(name)
        finally:
            os.close(fd)
    return removed


class AtomicFolder:
    """``with AtomicFolder(out_dir) as tmp:`` write into tmp; on success tmp replaces
    out_dir, on failure (or Ctrl-C, SIGTERM) it is removed and out_dir is left as it
    was. A temporary folder left by a killed run is removed by the next one."""

    def __init__(self, out_dir):
        self.out_dir = os.path.abspath(out_dir)
        self.tmp = None
        self._fd = None

    def __enter__(self):
        parent, base = os.path.split(self.out_dir.rstrip(os.sep))
        if not os.path.isdir(parent):
            raise OSError('the parent folder %s does not exist' % parent)
        remove_stale_temps(parent, base)
        try:
            with stopping.shielded():   # a stop here must not leave an unmarked folder
                self.tmp = tempfile.mkdtemp(prefix='.%s%s' % (base, TMP_INFIX), dir=parent)
                os.chmod(self.tmp, 0o755)
                self._fd = try_lock(self.tmp)
                open(os.path.join(self.tmp, TMP_MARKER), 'wb').close()
        except BaseException:   # __exit__ will not run: clean up here
            self._release()
            raise
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                os.unlink(os.path.join(self.tmp, TMP_MARKER))
                # The publisher's swap: atomic where renameat2 exists. Once begun it
                # completes: a stop arriving then is moot.
                with stopping.shielded(discard=True):
                    place(self.tmp, self.out_dir)
        finally:
            self._release()
        return False

    def _release(self):
        with stopping.shielded():
            if self.tmp:
                remove_path(self.tmp)
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
