"""Path checks and atomic placement of the published folder.

The publisher writes only inside LOGS_DIR/stackviz and its own temporary siblings
(LOGS_DIR/.stackviz.tmp-*, LOGS_DIR/.stackviz.old-*). A new site is staged whole in a
temporary sibling and swapped in with one rename, so a publish killed at any moment
leaves the previous site or none, never half a site.
"""
import contextlib
import ctypes
import errno
import fcntl
import os
import shutil
import tempfile
import uuid

TARGET_NAME = 'stackviz'
STAGE_PREFIX = '.stackviz.tmp-'
OLD_PREFIX = '.stackviz.old-'

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


class UnsafePathError(Exception):
    """A path would lead the publisher outside the logs folder (one-line message)."""


def is_within(path, root):
    """True when the real path of ``path`` is ``root`` or below it (root: a real path)."""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def resolve_logs_dir(logs_dir):
    """The real path of LOGS_DIR; it must be an existing folder."""
    if not logs_dir:   # realpath('') is the current folder: never guess it
        raise UnsafePathError('LOGS_DIR is empty: name the logs folder')
    real = os.path.realpath(logs_dir)
    if not os.path.isdir(real):
        raise UnsafePathError('logs folder %s does not exist or is not a folder' % logs_dir)
    return real


def check_target(logs_root):
    """Return LOGS_DIR/stackviz, refusing a symlink there that leads out of LOGS_DIR."""
    target = os.path.join(logs_root, TARGET_NAME)
    if os.path.islink(target) and not is_within(target, logs_root):
        raise UnsafePathError(
            '%s is a symlink to %s, outside the logs folder: refusing to replace it'
            % (target, os.path.realpath(target)))
    return target


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


def clean_stale(logs_root):
    """Remove temporary siblings left by a publish that was killed."""
    removed = []
    for name in os.listdir(logs_root):
        if name.startswith(STAGE_PREFIX) or name.startswith(OLD_PREFIX):
            remove_path(os.path.join(logs_root, name))
            removed.append(name)
    return removed


def make_stage(logs_root):
    """Create the staging folder (a sibling of the target, so rename is atomic)."""
    stage = tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=logs_root)
    # mkdtemp makes 0700; the published site must be readable by the log uploader.
    os.chmod(stage, 0o755)
    return stage


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
