"""The output folder: built beside its final place, then renamed into it, so that a
reader never sees half of it; and config.json, the index of everything in it."""
import fcntl
import json
import os
import tempfile

from stackviz_publish import safety
from stackviz_publish import stopping
from stackviz_publish.readers import files
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import twin_path
from stackviz_publish.writers.datafile import write_whole

DATASET_KEYS = ('name', 'url', 'status', 'ci_username', 'pipeline', 'change_id',
                'revision', 'change_project', 'change_subject')


GENERATOR = 'stackviz-publish'
TMP_INFIX = '.tmp-'
# Written first into each temporary folder, removed before the folder takes OUT's
# place: a later run removes only folders holding it (and not locked: not in use).
TMP_MARKER = '.stackviz-export-in-progress'
_CONFIG_READ_LIMIT = 16 * 1024 * 1024


def _real_parents(path):
    """The real path of ``path``'s folder and every folder above it."""
    folder = os.path.dirname(os.path.realpath(path))
    found = [folder]
    while os.path.dirname(folder) != folder:
        folder = os.path.dirname(folder)
        found.append(folder)
    return found


def check_out_dir(out_dir, inputs=(), replace=False):
    """Why ``out_dir`` must not be replaced by an export, or None when it may.

    Never: the current folder or one holding it (``""``, ``.``, ``..``), a folder
    holding one of ``inputs``. Only with ``replace``: an existing file (or symlink),
    a non-empty folder that is not one of our own exports. A missing OUT is fine.
    """
    if not out_dir or not out_dir.strip():
        return 'the output folder name is empty'
    real = os.path.realpath(out_dir)
    if real in _real_parents(os.path.join(os.getcwd(), 'x')):
        return ('%s is the current folder or holds it: refusing to replace it'
                % out_dir)
    for path in inputs:
        if real in _real_parents(path):
            return '%s holds the input %s: refusing to replace it' % (out_dir, path)
    if replace or not os.path.lexists(out_dir):
        return None
    if os.path.islink(out_dir) or not os.path.isdir(out_dir):
        return ('%s exists and is not a folder: refusing to replace it (--replace to '
                'replace it)' % out_dir)
    names = os.listdir(out_dir)
    if names and not is_own_export(out_dir, names):
        return ('%s is a non-empty folder that is not a stackviz export: refusing to '
                'replace it (--replace to replace it)' % out_dir)
    return None


def is_own_export(folder, names):
    """True when ``folder`` is an earlier export of ours: its config.json names our
    generator and every entry in it is one that config.json lists (or a variant of
    one: ``.js`` twin, ``.gz``)."""
    try:
        with open(os.path.join(folder, 'config.json'), 'rb') as handle:
            config = json.loads(handle.read(_CONFIG_READ_LIMIT))
        if not str(config.get('generator', '')).startswith(GENERATOR):
            return False
        known = {'config.json', 'config.js'}
        for entry in config['datasets']:
            for art in entry['artifacts']:
                for key in ('path', 'script_path'):
                    if art.get(key):
                        known.add(art[key].split('/')[0])
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return False
    return all(any(name.startswith(k) for k in known) for name in names)


def _lock(path):
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
            fd = _lock(path)
        except OSError:
            continue
        if fd is None:
            continue
        try:
            safety.remove_path(path)
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
                self._fd = _lock(self.tmp)
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
                    safety.place(self.tmp, self.out_dir)
        finally:
            self._release()
        return False

    def _release(self):
        with stopping.shielded():
            if self.tmp:
                safety.remove_path(self.tmp)
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def copy_text_file(src, data_dir, rel_path, gzipped, within=None):
    """Copy a text log (dstat CSV) as it is, with its twin; return bytes written.
    ``within``: see files.open_file."""
    with files.open_file(src, within, text=True) as source:
        out = DataFile(data_dir, rel_path, gzipped, encoding='text')
        try:
            for block in iter(lambda: source.read(1 << 20), ''):
                out.write(block)
        except BaseException:   # a read error: no half log is published
            out.close()
            for rel in (out.rel_path, out.twin_rel):
                if rel:
                    safety.remove_path(os.path.join(data_dir, rel))
            raise
        out.close()
    return out.rel_path, out.bytes_written


def dataset(metadata=None, env_fields=None):
    """The classic dataset keys, filled from the environment then the metadata; other
    job facts go in the "metadata" extension object."""
    data = dict.fromkeys(DATASET_KEYS)
    data.update(env_fields or {})
    extra = {}
    for key, value in (metadata or {}).items():
        if key in DATASET_KEYS:
            data[key] = value
        elif key == 'metadata' and isinstance(value, dict):
            extra.update(value)
        else:
            extra[key] = value
    if extra:
        data['metadata'] = extra
    return data


def write_config(data_dir, dataset_entry, artifacts, generator):
    """config.json (never compressed) and its twin config.js."""
    entry = dict(dataset_entry)
    entry['artifacts'] = artifacts
    config = {'deployer': False, 'format_version': 1, 'generator': generator,
              'script': twin_path('config.json'), 'datasets': [entry]}
    return write_whole(data_dir, 'config.json', json.dumps(config, indent=1))
