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

"""The output folder's contents: config.json, the index of everything in it, and the
copied text logs. The folder itself is built beside its final place and renamed into
it (atomic_folders.AtomicFolder), so that a reader never sees half of it."""
import json
import os

from stackviz_publish import atomic_folders
from stackviz_publish import limits
from stackviz_publish.readers import files
from stackviz_publish.format import DATASET_KEYS
from stackviz_publish.format import FORMAT_VERSION
from stackviz_publish.format import twin_path
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import text_cost
from stackviz_publish.writers.datafile import write_whole
from stackviz_publish.writers import datascript
from stackviz_publish.writers.datascript import DataScript


GENERATOR = 'stackviz-publish'
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


DSTAT_LINE = 64 * 1024    # longer lines are no dstat sample: dropped
DSTAT_HEADER_LINES = 20


def copy_dstat(src, data_dir, rel_path, layout, max_bytes=None, budget=None,
               within=None):
    """Copy a dstat CSV log within ``max_bytes`` of text: a bigger log keeps its
    header and one sample row in k (k from its size), and a first line saying so; the
    copy stops, with a last line saying so, where ``max_bytes`` or the budget end.
    ``layout`` (format.Layout): a data script ``rel_path.js``, or with
    ``classic_tool`` the classic file (``.gz`` with ``classic_gzip``) and its twin.
    Return (rel path, bytes written, [what was cut, one line each]).
    ``within``: see files.open_file; a read error leaves no half log behind."""
    with files.open_file(src, within, text=True) as source:
        size = os.fstat(source.fileno()).st_size
        # One row in ``step``, aiming at 7/8 of the limit: rows differ a little.
        step = 1 if max_bytes is None or size <= max_bytes else \
            -(-size // max(1, max_bytes - max_bytes // 8))
        if layout.classic_tool:
            out = DataFile(data_dir, rel_path, layout.classic_gzip, encoding='text')
            written = (out.rel_path, out.twin_rel)
            gzipped = layout.classic_gzip

            def cost(text):
                return text_cost(text, gzipped)
        else:
            out = DataScript(data_dir, rel_path + '.js', layout.text_encoding)
            written = (out.rel_path,)
            compress = layout.compress

            def cost(text):
                return datascript.text_cost(text, compress)
        copier = _DstatCopy(out, cost, budget, step, max_bytes)
        try:
            copier.copy(source)
        except BaseException:
            out.close()
            for rel in written:
                if rel:
                    atomic_folders.remove_path(os.path.join(data_dir, rel))
            raise
        out.close()
    return out.rel_path, out.bytes_written, copier.notes(size)


class _DstatCopy:
    def __init__(self, out, cost, budget, step, max_bytes):
        self.out = out
        self.cost = cost
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
        if not self.budget.take(self.cost(text)):
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
        if self.budget.take(self.cost(end)):
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
    config = {'deployer': False, 'format_version': FORMAT_VERSION, 'generator': generator,
              'script': twin_path('config.json'), 'datasets': [entry]}
    return write_whole(data_dir, 'config.json', json.dumps(config, indent=1))
