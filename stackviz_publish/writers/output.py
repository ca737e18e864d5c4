"""The output folder: built beside its final place, then renamed into it, so that a
reader never sees half of it; and config.json, the index of everything in it."""
import fcntl
import json
import os
import tempfile

from stackviz_publish import limits
from stackviz_publish import safety
from stackviz_publish import stopping
from stackviz_publish.readers import files
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import text_cost
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


DSTAT_LINE = 64 * 1024    # longer lines are no dstat sample: dropped
DSTAT_HEADER_LINES = 20


def copy_dstat(src, data_dir, rel_path, gzipped, max_bytes=None, budget=None,
               within=None):
    """Copy a dstat CSV log within ``max_bytes`` of text: a bigger log keeps its
    header and one sample row in k (k from its size), and a first line saying so; the
    copy stops, with a last line saying so, where ``max_bytes`` or the budget end.
    Return (rel path, bytes written, [what was cut, one line each]).
    ``within``: see files.open_file; a read error leaves no half log behind."""
    with files.open_file(src, within, text=True) as source:
        size = os.fstat(source.fileno()).st_size
        # One row in ``step``, aiming at 7/8 of the limit: rows differ a little.
        step = 1 if max_bytes is None or size <= max_bytes else \
            -(-size // max(1, max_bytes - max_bytes // 8))
        out = DataFile(data_dir, rel_path, gzipped, encoding='text')
        copier = _DstatCopy(out, gzipped, budget, step, max_bytes)
        try:
            copier.copy(source)
        except BaseException:
            out.close()
            for rel in (out.rel_path, out.twin_rel):
                if rel:
                    safety.remove_path(os.path.join(data_dir, rel))
            raise
        out.close()
    return out.rel_path, out.bytes_written, copier.notes(size)


class _DstatCopy:
    def __init__(self, out, gzipped, budget, step, max_bytes):
        self.out = out
        self.gzipped = gzipped
        self.budget = budget or limits.Budget(None)
        self.step = step
        self.max_bytes = max_bytes
        self.block = []
        self.block_size = 0
        self.written = 0
        self.long_lines = 0
        self.stopped_by = None

    def copy(self, source):
        if self.step == 1:   # within the limit: copied as it is, in blocks
            for block in iter(lambda: source.read(1 << 20), ''):
                if not self._write(block):
                    return
            self._flush()
            return
        first = '"[stackviz: downsampled: one sample row in %d kept (%s=%d)]"\r\n' % (
            self.step, limits.flag('max_dstat_bytes'), self.max_bytes)
        if not self._write(first):
            return
        in_header, row = True, 0
        for line in iter(lambda: source.readline(DSTAT_LINE), ''):
            if len(line) >= DSTAT_LINE and not line.endswith('\n'):
                self.long_lines += 1
                while len(line) >= DSTAT_LINE and not line.endswith('\n'):
                    line = source.readline(DSTAT_LINE)
                continue
            if in_header:   # the header rows, up to the column names, are all kept
                row += 1
                if line.split(',', 1)[0].strip().strip('"') in ('time', 'epoch') \
                        or row >= DSTAT_HEADER_LINES:
                    in_header, row = False, 0
            else:
                row += 1
                if row % self.step:
                    continue
            if not self._write(line):
                return
        self._flush()

    def _write(self, text):
        """Queue text; False once a limit stopped the copy."""
        if self.max_bytes is not None and self.written + len(text) > self.max_bytes:
            self._stop('max_dstat_bytes')
            return False
        self.block.append(text)
        self.block_size += len(text)
        self.written += len(text)
        return self.block_size < (1 << 20) or self._flush()

    def _flush(self):
        text = ''.join(self.block)
        self.block, self.block_size = [], 0
        if not self.budget.take(text_cost(text, self.gzipped)):
            self._stop('max_output_bytes')
            return False
        self.out.write(text)
        return True

    def _stop(self, setting):
        if self.stopped_by is not None:
            return
        self.stopped_by = setting
        if setting == 'max_dstat_bytes' and not self._flush():
            return
        end = '"[stackviz: cut here (%s)]"\r\n' % limits.flag(setting)
        if self.budget.take(text_cost(end, self.gzipped)):
            self.out.write(end)

    def notes(self, size):
        notes = []
        if self.step > 1:
            notes.append('downsampled to one sample row in %d (%s=%d; the log has %d '
                         'bytes)' % (self.step, limits.flag('max_dstat_bytes'),
                                     self.max_bytes, size))
        if self.stopped_by:
            notes.append('cut after %d characters (%s)' % (
                self.written, limits.flag(self.stopped_by)))
        if self.long_lines:
            notes.append('%d line(s) longer than %d characters left out'
                         % (self.long_lines, DSTAT_LINE))
        return notes


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
