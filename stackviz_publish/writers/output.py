"""The output folder: built beside its final place, then renamed into it, so that a
reader never sees half of it; and config.json, the index of everything in it."""
import json
import os
import tempfile

from stackviz_publish import limits
from stackviz_publish import safety
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import text_cost
from stackviz_publish.writers.datafile import twin_path
from stackviz_publish.writers.datafile import write_whole

DATASET_KEYS = ('name', 'url', 'status', 'ci_username', 'pipeline', 'change_id',
                'revision', 'change_project', 'change_subject')


class AtomicFolder:
    """``with AtomicFolder(out_dir) as tmp:`` write into tmp; on success tmp replaces
    out_dir, on failure it is removed and out_dir is left as it was."""

    def __init__(self, out_dir):
        self.out_dir = os.path.abspath(out_dir)
        self.tmp = None

    def __enter__(self):
        parent, base = os.path.split(self.out_dir.rstrip(os.sep))
        if not os.path.isdir(parent):
            raise OSError('the parent folder %s does not exist' % parent)
        self.tmp = tempfile.mkdtemp(prefix='.%s.tmp-' % base, dir=parent)
        os.chmod(self.tmp, 0o755)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        try:
            if exc_type is None:
                # The publisher's swap: atomic where renameat2 exists.
                safety.place(self.tmp, self.out_dir)
        finally:
            safety.remove_path(self.tmp)
        return False


DSTAT_LINE = 64 * 1024    # longer lines are no dstat sample: dropped
DSTAT_HEADER_LINES = 20


def copy_dstat(src, data_dir, rel_path, gzipped, max_bytes=None, budget=None):
    """Copy a dstat CSV log within ``max_bytes`` of text: a bigger log keeps its
    header and one sample row in k (k from its size), and a first line saying so; the
    copy stops, with a last line saying so, where ``max_bytes`` or the budget end.
    Return (rel path, bytes written, [what was cut, one line each])."""
    size = os.path.getsize(src)
    # One row in ``step``, aiming at 7/8 of the limit: rows differ in length a little.
    step = 1 if max_bytes is None or size <= max_bytes else \
        -(-size // max(1, max_bytes - max_bytes // 8))
    out = DataFile(data_dir, rel_path, gzipped, encoding='text')
    copier = _DstatCopy(out, gzipped, budget, step, max_bytes)
    with open(src, 'r', encoding='utf-8', errors='replace', newline='') as source:
        copier.copy(source)
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
