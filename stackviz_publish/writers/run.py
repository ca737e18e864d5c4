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

"""The files of one run: raw.json, stats.json, classic details.json and the details
shards, each written as tests arrive (nothing but the current shard is held)."""
import json
import os
import shutil

from stackviz_publish import format as data_format
from stackviz_publish import limits
from stackviz_publish.format import json_string
from stackviz_publish.format import twin_path
from stackviz_publish.writers.background import Inline
from stackviz_publish.writers.datafile import FILE_COST
from stackviz_publish.writers.datafile import packed_cost
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import cost
from stackviz_publish.writers.datafile import write_whole

_ENTRY = ('{"name": %s, "status": %s, "tags": [%s], "timestamps": [%s, %s], '
          '"duration": %s, "details": {}, "id": %s, "worker": %s, "shard": %s}')
_KEYS = ('name', 'status', 'tags', 'timestamps', 'duration', 'details', 'id', 'worker',
         'shard')
SHARD_TEXT = 256 * 1024
SHARD_TESTS = 500
# Taken from the output budget when a run starts: its stats.json apart from the
# failure and skip lists (charged as they are listed), and its files' overheads.
RUN_RESERVE = 256 * 1024
BUDGET_MARKER = ('[stackviz: attachments not kept: the output budget is used up (%s)]'
                 % limits.flag('max_output_bytes'))


_BUDGET_CUT = {limits.CUT_KEY: BUDGET_MARKER}


def _detail_parts(details):
    """A test's details as JSON pieces (``{``, then key, ``: ``, value, ... ``}``), and
    how many characters the quoting of the values added (it bounds their backslashes:
    each escape adds at least one character and holds one backslash)."""
    parts = []
    sep = '{'
    grown = 0
    for key, value in details.items():
        quoted = json_string(value)
        grown += len(quoted) - len(value)
        parts += (sep, json_string(key), ': ', quoted)
        sep = ', '
    parts.append('}')
    return parts, grown


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
                 background=None, budget=None):
        """``budget`` (a limits.Budget) bounds what the run writes: past it, a test's
        attachments become a marker, then tests are left out (``full`` turns True)."""
        self.budget = budget or limits.Budget(None)
        if not self.budget.take(RUN_RESERVE):
            raise limits.BudgetError('the output budget (%s) is used up'
                                     % limits.flag('max_output_bytes'))
        self.full = False
        self.details_cut = 0
        self.tests_left_out = 0
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
        """Write one test (a raw.json entry and its attachments' text), if the output
        budget allows: else with a marker for its attachments, else not at all. The
        details' JSON stays a list of pieces, so a huge attachment is escaped once
        and never copied into a bigger string."""
        key = json_string(entry['id'])
        choice = _detail_parts(details) if details else None
        entry['shard'] = self.shard_count if choice else None
        text = self._sep + entry_json(entry)
        if self.budget.left is not None:   # no budget, nothing to count
            need = cost(text, self.gzipped)
            if choice:
                need += self._details_cost(choice, key, entry)
            if not self.budget.take(need, self.budget.reserve if choice else 0):
                choice, text = self._cut(entry, key, choice)
                if text is None:
                    return
        if choice:
            parts = choice[0]
            self._shard += (self._shard_sep, key, ': ')
            self._shard += parts
            self._shard_sep = ',\n'
            self._shard_tests += 1
            self._shard_size += sum(map(len, parts))
            if self.details is not None:
                self._add_classic(entry['name'], parts)
            if self._shard_size >= SHARD_TEXT or self._shard_tests >= SHARD_TESTS:
                self._close_shard()
        self.raw.write(text)
        self._sep = ',\n'

    def _cut(self, entry, key, parts):
        """The test does not fit the budget: try it with a marker instead of its
        attachments, then alone; return (details parts or None, raw.json text), or
        (None, None) when even that does not fit (the writer is then ``full``)."""
        for choice in ((_detail_parts(_BUDGET_CUT), None) if parts else (None,)):
            entry['shard'] = self.shard_count if choice else None
            text = self._sep + entry_json(entry)
            need = cost(text, self.gzipped)
            if choice:
                need += self._details_cost(choice, key, entry)
            if self.budget.take(need, self.budget.reserve // 2 if choice else 0):
                if parts:
                    self.details_cut += 1
                return choice, text
        self.full = True
        self.tests_left_out += 1
        return None, None

    def _details_cost(self, choice, key, entry):
        """Upper bound of what the parts add to the shard and its twin, and to the
        classic details.json (no twin), keys and separators included. Uncompressed,
        the twin adds a backslash per quote, backslash and newline: at most the
        growth of quoting (values, id) plus two quotes per string and the newline."""
        parts, grown = choice
        size = sum(map(len, parts)) + len(key) + 4
        if self.gzipped:
            total = (size + (size >> 11) + 1) * 7 // 3 + 8
        else:
            total = 2 * size + 2 * (grown + len(key) - len(entry['id'])) + len(parts) + 4
        if self._shard_tests == 0:
            total += FILE_COST
        if self.details is not None:
            classic = size + len(entry['name']) * 6 + 8
            total += classic + (classic >> 10) + 8
        return total

    def _add_classic(self, name, parts):
        self.details.write('%s%s: ' % (self._details_sep, json_string(name)))
        for part in parts:
            self.details.write(part)
        self._details_sep = ',\n'

    def listed(self, item):
        """Take the cost of a failure or skip entry of stats.json; False if it does
        not fit (the model then leaves it out of the list). Its JSON's size is bounded
        from its strings' quoted sizes; the twin at most doubles it."""
        size = 16
        for key, value in item.items():
            size += len(key) + 8
            if isinstance(value, str):
                size += len(json_string(value))
            elif isinstance(value, list):
                size += sum([len(json_string(line)) + 2 for line in value])
            else:
                size += 32   # a number, or null
        return self.budget.take(packed_cost(size, True) if self.gzipped else 3 * size,
                                self.budget.reserve // 2)

    def cut_warnings(self, not_given=0):
        """One line per kind of cut the budget made; ``not_given``: tests the model
        did not hand over once ``full`` was set."""
        lines = []
        left_out = self.tests_left_out + not_given
        if self.details_cut:
            lines.append('%d test(s) written without their attachments: the output '
                         'budget (%s) was used up (marked "[stackviz: ...]")'
                         % (self.details_cut, limits.flag('max_output_bytes')))
        if left_out:
            lines.append('%d test(s) left out of raw.json: the output budget (%s) was '
                         'used up; they are counted in stats.json'
                         % (left_out, limits.flag('max_output_bytes')))
        return lines

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
