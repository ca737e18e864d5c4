"""The files of one run: raw.json, stats.json, classic details.json and the details
shards, each written as tests arrive (nothing but the current shard is held)."""
import json
import os
import shutil

from stackviz_publish import format as data_format
from stackviz_publish.format import json_string
from stackviz_publish.format import twin_path
from stackviz_publish.writers.background import Inline
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import write_whole

_ENTRY = ('{"name": %s, "status": %s, "tags": [%s], "timestamps": [%s, %s], '
          '"duration": %s, "details": {}, "id": %s, "worker": %s, "shard": %s}')
_KEYS = ('name', 'status', 'tags', 'timestamps', 'duration', 'details', 'id', 'worker',
         'shard')
SHARD_TEXT = 256 * 1024
SHARD_TESTS = 500


def _json_scalar(value):
    """A str, int or None as JSON."""
    if value is None:
        return 'null'
    return json_string(value) if isinstance(value, str) else str(value)


def entry_json(entry):
    """json.dumps(entry), faster for the usual raw.json entry (a third of the time)."""
    if tuple(entry) != _KEYS or not isinstance(entry['duration'], float):
        return json.dumps(entry)
    start, end = entry['timestamps']
    return _ENTRY % (json_string(entry['name']), json_string(entry['status']),
                     ', '.join([json_string(t) for t in entry['tags']]),
                     _json_scalar(start), _json_scalar(end),
                     float.__repr__(entry['duration']), json_string(entry['id']),
                     _json_scalar(entry['worker']), _json_scalar(entry['shard']))


class RunWriter:
    def __init__(self, data_dir, name, index=0, gzipped=False, classic_details=True,
                 background=None):
        self.data_dir = data_dir
        self.bg = background or Inline()
        self.name = name
        self.prefix = prefix = '%s-%d' % (name, index)
        self.gzipped = gzipped
        self.raw = DataFile(data_dir, prefix + '-raw.json', gzipped, background=self.bg)
        self.raw.write('[')
        self._sep = ''
        # The monolithic classic file is for the classic site only: the new site reads
        # the shards, so it gets no script twin (it would double the largest file).
        self.details = None
        if classic_details:
            self.details = DataFile(data_dir, prefix + '-details.json', gzipped,
                                    twin=False, background=self.bg)
            self.details.write('{')
        self._details_sep = ''
        self.shard_dir = prefix + '-details'
        os.mkdir(os.path.join(data_dir, self.shard_dir))
        self._shard = []
        self._shard_sep = ''
        self._shard_size = 0
        self._shard_tests = 0
        self.shard_count = 0
        self.bytes_written = 0

    def add(self, entry, details):
        """Write one test (a raw.json entry and its attachments' text). The details'
        JSON stays a list of pieces, so a huge attachment is escaped once and never
        copied into a bigger string."""
        if details:
            parts = []
            sep = '{'
            for key, value in details.items():
                parts += (sep, json_string(key), ': ', json_string(value))
                sep = ', '
            parts.append('}')
            self._shard += (self._shard_sep, json_string(entry['id']), ': ')
            self._shard += parts
            self._shard_sep = ',\n'
            self._shard_tests += 1
            self._shard_size += sum(map(len, parts))
            entry['shard'] = self.shard_count
            if self.details is not None:
                self.details.write('%s%s: ' % (self._details_sep, json_string(entry['name'])))
                for part in parts:
                    self.details.write(part)
                self._details_sep = ',\n'
            if self._shard_size >= SHARD_TEXT or self._shard_tests >= SHARD_TESTS:
                self._close_shard()
        else:
            entry['shard'] = None
        self.raw.write(self._sep + entry_json(entry))
        self._sep = ',\n'

    def _close_shard(self):
        if not self._shard_tests:
            return
        parts = ['{'] + self._shard + ['}']
        self._shard = []
        self._shard_sep = ''
        self._shard_size = 0
        self._shard_tests = 0
        rel = os.path.join(self.shard_dir, '%d.json' % self.shard_count)
        self.bg.submit(self._write_shard, rel, parts)
        self.shard_count += 1

    def _write_shard(self, rel, parts):
        self.bytes_written += write_whole(self.data_dir, rel, parts, self.gzipped)

    def discard(self):
        """Drop every file of this run (its input turned out unreadable)."""
        self.bg.wait()
        self.raw.close()
        if self.details is not None:
            self.details.close()
        for path in (self.raw.rel_path, twin_path(self.raw.rel_path),
                     self.details and self.details.rel_path):
            if path and os.path.exists(os.path.join(self.data_dir, path)):
                os.remove(os.path.join(self.data_dir, path))
        shutil.rmtree(os.path.join(self.data_dir, self.shard_dir), ignore_errors=True)

    def close(self, stats):
        """Finish every file; return the artifact entries for config.json."""
        self._close_shard()
        self.bg.wait()
        self.raw.write(']\n')
        self.bytes_written += self.raw.close()
        if self.details is not None:
            self.details.write('}\n')
            self.bytes_written += self.details.close()
        stats_rel = self.prefix + '-stats.json'
        self.bytes_written += write_whole(self.data_dir, stats_rel, json.dumps(stats),
                                          self.gzipped)
        return self._artifacts(stats_rel)

    def _artifacts(self, stats_rel):
        gz = '.gz' if self.gzipped else ''
        return data_format.run_artifacts(
            self.name, self.raw.rel_path, self.details and self.details.rel_path,
            stats_rel + gz, self.shard_dir, self.shard_count, self.gzipped)
