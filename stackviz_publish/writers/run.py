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

"""The files of one run (format v2): stats, the timeline, the test shards and the id
index, and with a classic layout raw.json and details.json, each written as tests
arrive (nothing but the current shard and a few bytes a test are held)."""
import collections
import json
import os
import shutil

from stackviz_publish import format as data_format
from stackviz_publish import limits
from stackviz_publish.format import json_string
from stackviz_publish.writers import datascript
from stackviz_publish.writers.background import Inline
from stackviz_publish.writers.scriptcodec import SHARD_LEVEL
from stackviz_publish.writers.datafile import DataFile
from stackviz_publish.writers.datafile import cost as file_cost
from stackviz_publish.writers.datafile import packed_cost
from stackviz_publish.writers.datafile import write_whole
from stackviz_publish.writers.figures import Figures
from stackviz_publish.writers.timeline import TEST_COST
from stackviz_publish.writers.timeline import Timeline
from stackviz_publish.writers.timeline import write_id_index

_HEAD = ('{"name": %s, "status": %s, "tags": [%s], "timestamps": [%s, %s], '
         '"duration": %s, "details": ')
_HEAD_ISO = ('{"name": %s, "status": %s, "tags": [%s], "timestamps": ["%s", "%s"], '
             '"duration": %s, "details": ')
_KEYS = ('name', 'status', 'tags', 'timestamps', 'duration', 'details', 'id', 'worker')
_EXTRA = {('unfinished',): ', "unfinished": true',
          ('worker_guessed',): ', "worker_guessed": true',
          ('unfinished', 'worker_guessed'): ', "unfinished": true, "worker_guessed": true'}
SHARD_TEXT = 256 * 1024
SHARD_TESTS = 500
# Shards given to the packer (or the writer thread) before the oldest is counted.
IN_FLIGHT = 3
# Taken from the output budget when a run starts: its stats apart from the failure
# and skip lists (charged as they are listed), and its files' overheads.
RUN_RESERVE = 256 * 1024
BUDGET_MARKER = ('[stackviz: attachments not kept: the output budget is used up (%s)]'
                 % limits.flag('max_output_bytes'))
FILE_COST = datascript.FILE_COST


_BUDGET_CUT = {limits.CUT_KEY: BUDGET_MARKER}
# Tests listed per group in the summary's first screen (P-summary.js): failure
# groups show a few, skip groups (closed, below the failures) none.
FIRST_SCREEN_TESTS = {'failure_groups': 10, 'skip_groups': 0}


def first_screen(stats):
    """The summary's first screen (``P-summary.js``): the stats without their long
    lists, each triage group's tests cut to its first ``FIRST_SCREEN_TESTS``, and
    ``failures`` and ``skips`` holding only those tests' ids and names. A few KB at
    any size, so that the summary paints before the whole stats are decoded."""
    out = {k: v for k, v in stats.items() if k not in ('failures', 'skips', 'triage')}
    listed = set()
    triage = stats.get('triage')
    if isinstance(triage, dict):
        cut = dict(triage)
        for key, keep in FIRST_SCREEN_TESTS.items():
            cut[key] = [dict(g, tests=g['tests'][:keep]) for g in triage.get(key) or ()]
            listed.update(t for g in cut[key] for t in g['tests'])
        out['triage'] = cut
    # what the summary shows of a listed test (its worker and start: the run's
    # tests are not loaded for the summary)
    shown = ('id', 'name', 'worker', 'start', 'duration')
    for key in ('failures', 'skips'):
        out[key] = [{k: t[k] for k in shown if k in t}
                    for t in stats.get(key) or () if t.get('id', t.get('name')) in listed]
    out['format_version'] = data_format.FORMAT_VERSION
    return out


def _detail_parts(details, defer=False):
    """A test's (non-empty) details as JSON pieces (``{``, then key, ``: ``, value, ...
    ``}``), their size, and how many characters the quoting of the values added (it
    bounds their backslashes: each escape adds at least one character and holds one
    backslash). ``defer``: an ASCII value may be left as bytes, for the packer to
    quote (the size is the same)."""
    parts = []
    sep = '{'
    grown = 0
    size = 1
    for key, value in details.items():
        quoted = _deferred(value) if defer else None
        if quoted is None:
            quoted = json_string(value)
            more = len(quoted) - len(value)
            length = len(quoted)
        else:
            quoted, more = quoted
            length = len(value) + more
        key = json_string(key)
        grown += more
        parts += (sep, key, ': ', quoted)
        size += len(sep) + len(key) + 2 + length
        sep = ', '
    parts.append('}')
    return parts, size, grown


# Characters JSON quoting leaves as they are; and those the packer quotes (each
# takes two characters: a backslash and one).
_PLAIN = bytes(c for c in range(0x20, 0x7f) if c not in b'"\\')
_QUOTED = b'"\\\n\r\t'


def _deferred(value):
    """(ASCII bytes of ``value``, what quoting it adds), or None: not ASCII, big, or
    with another control character (then quoted here: rare)."""
    if not value.isascii() or len(value) >= datascript.BIG:
        return None
    data = value.encode('ascii')
    special = data.translate(None, _PLAIN)
    if special and special.translate(None, _QUOTED):
        return None
    return data, 2 + len(special)


_NO_DETAILS = (('{}',), 2, 0)


def _json_scalar(value):
    """A str, int or None as JSON."""
    if value is None:
        return 'null'
    return json_string(value) if isinstance(value, str) else str(value)


_STATUS_JSON = {status: json_string(status) for status in data_format.STATUSES}


def test_json(entry, key=None):
    """A raw.json entry as JSON text around its details: (head, tail), the details'
    JSON goes between them. A template for the usual entry (the hot spot of an
    export); json.dumps else. ``key``: the id as JSON, when known."""
    keys = tuple(entry)
    if len(keys) == 8:
        if keys != _KEYS:
            return _test_json_dumps(entry)
        extra = ''
    else:
        extra = _EXTRA.get(keys[8:])
        if extra is None or keys[:8] != _KEYS:
            return _test_json_dumps(entry)
    duration = entry['duration']
    if duration.__class__ is not float:
        return _test_json_dumps(entry)
    start, end = entry['timestamps']
    tags = entry['tags']
    status = _STATUS_JSON.get(entry['status']) or json_string(entry['status'])
    worker = entry['worker']
    if start.__class__ is str and end.__class__ is str:
        # the model's ISO 8601 text needs no escapes
        head = _HEAD_ISO % (json_string(entry['name']), status,
                            ', '.join(map(json_string, tags)) if tags else '',
                            start, end, float.__repr__(duration))
    else:
        head = _HEAD % (json_string(entry['name']), status,
                        ', '.join(map(json_string, tags)) if tags else '',
                        '"%s"' % start if start.__class__ is str else _json_scalar(start),
                        '"%s"' % end if end.__class__ is str else _json_scalar(end),
                        float.__repr__(duration))
    tail = ', "id": %s, "worker": %s%s}' % (
        key or json_string(entry['id']),
        'null' if worker is None else str(worker) if worker.__class__ is int
        else _json_scalar(worker), extra)
    return head, tail


def _test_json_dumps(entry):
    keys = list(entry)
    at = keys.index('details') if 'details' in keys else len(keys)
    before = {k: entry[k] for k in keys[:at]}
    after = {k: entry[k] for k in keys[at + 1:]}
    head = json.dumps(before)[:-1] + (', ' if before else '') + '"details": '
    tail = (', ' + json.dumps(after)[1:]) if after else '}'
    return head, tail


class RunWriter:
    def __init__(self, data_dir, name, index=0, layout=None, background=None,
                 budget=None, packer=None):
        """``layout`` (format.Layout) says which files; ``budget`` (a limits.Budget)
        bounds what the run writes: past it, a test's attachments become a marker,
        then tests are left out (``full`` turns True). ``packer`` (writers.packer)
        writes the test shards, which then leave the quoting of logs to it; without
        it, ``background`` does."""
        self.budget = budget or limits.Budget(None)
        if not self.budget.take(RUN_RESERVE):
            raise limits.BudgetError('the output budget (%s) is used up'
                                     % limits.flag('max_output_bytes'))
        self.layout = layout = layout or data_format.Layout()
        self.compress = layout.compress
        self.full = False
        self.details_cut = 0
        self.tests_left_out = 0
        self.data_dir = data_dir
        self.bg = background or Inline()
        self.name = name
        self.prefix = prefix = '%s-%d' % (name, index)
        self.timeline = Timeline(data_dir, prefix + '-timeline.js', layout.encoding,
                                 self.bg)
        self.tests_dir = prefix + '-tests'
        self.ids_dir = prefix + '-ids'
        os.mkdir(os.path.join(data_dir, self.tests_dir))
        self.raw = self.details = None
        self.packer = packer
        self._defer = packer is not None and not (layout.classic and layout.classic_details)
        if layout.classic:
            self.raw = DataFile(data_dir, prefix + '-raw.json', layout.classic_gzip,
                                twin=False, background=self.bg)
            self.raw.write('[')
            # For the classic site only: the new site reads the test shards.
            if layout.classic_details:
                self.details = DataFile(data_dir, prefix + '-details.json',
                                        layout.classic_gzip, twin=False,
                                        background=self.bg)
                self.details.write('{')
        self._sep = ''
        self._details_sep = ''
        self._shard = []
        self._shard_sep = ''
        self._shard_size = 0
        self._shard_big = False    # a piece of the current shard is BIG or more
        self._shard_tests = 0
        self.shard_count = 0
        self.shard_starts = []
        self._shard_charged = 0    # budget taken for the current shard's text
        self._cost_shard = 0
        # (future, budget taken) of the shards written and not yet counted, oldest
        # first: at most IN_FLIGHT, so that the packer may fall behind by a few.
        self._in_flight = collections.deque()
        self.id_buckets = 0
        self.bytes_written = 0
        self.figures = Figures()

    # The model hands over each test's start and end in microseconds too (``stamps``).
    stamped = True

    def add(self, entry, details, stamps=None):
        """Write one test (its raw.json entry and its attachments' text), if the
        output budget allows: else with a marker for its attachments, else not at all.
        ``stamps``: (start, end) in microseconds, the times of its ISO 8601 timestamps.
        The details' JSON stays a list of pieces, so a huge attachment is escaped once
        and never copied into a bigger string."""
        key = json_string(entry['id'])
        head, tail = test_json(entry, key)
        choice = _detail_parts(details, self._defer) if details else None
        if self.budget.left is not None:   # no budget, nothing to count
            need = self._cost(key, head, tail, choice, entry)
            if self.budget.take(need, self.budget.reserve if choice else 0):
                self._shard_charged += self._cost_shard
            else:
                choice = self._cut(entry, key, head, tail, choice)
                if choice is False:
                    return
        self._write(entry, key, head, tail, choice, stamps)

    def _write(self, entry, key, head, tail, choice, stamps=None):
        parts, size, _grown = choice or _NO_DETAILS
        if not self._shard_tests:
            self.shard_starts.append(self.timeline.count)
        shard = self._shard
        shard += (self._shard_sep, key, ': ', head)
        shard += parts
        shard.append(tail)
        self._shard_sep = ',\n'
        self._shard_tests += 1
        self._shard_size += size + len(head) + len(tail)
        if size >= datascript.BIG:
            self._shard_big = True
        self.timeline.add(key, entry, stamps)
        self.figures.add(entry, stamps)
        if self.raw is not None:
            self.raw.write('%s%s{}%s, "shard": %d}' % (
                self._sep, head, tail[:-1], self.shard_count))
            self._sep = ',\n'
            if choice and self.details is not None:
                self._add_classic(entry['name'], parts)
        if self._shard_size >= SHARD_TEXT or self._shard_tests >= SHARD_TESTS:
            self._close_shard()

    def _cut(self, entry, key, head, tail, choice):
        """The test does not fit the budget: try it with a marker instead of its
        attachments, then without; return the details to write (None: none), or
        False when even that does not fit (the writer is then ``full``)."""
        for cut in ((_detail_parts(_BUDGET_CUT), None) if choice else (None,)):
            need = self._cost(key, head, tail, cut, entry)
            if self.budget.take(need, self.budget.reserve // 2 if cut else 0):
                self._shard_charged += self._cost_shard
                if choice:
                    self.details_cut += 1
                return cut
        self.full = True
        self.tests_left_out += 1
        return False

    def _cost(self, key, head, tail, choice, entry):
        """Upper bound of what the test adds: its entry in the test shard (and a
        new shard's overhead), its timeline columns and id index entry, and with a
        classic layout its raw.json entry and details.json entry."""
        parts, size, grown = choice or _NO_DETAILS
        text = key + head + tail
        if self.compress:
            total = datascript.packed_cost(len(text) + size + 4)
        else:
            # Quoting the details' JSON adds a backslash per quote and backslash:
            # at most two per string (its quotes) and two per escape in it.
            total = datascript.cost(text, False) + size + len(parts) + 2 * grown + 4
        if self._shard_tests == 0:
            total += FILE_COST
        self._cost_shard = total
        total += TEST_COST + datascript.cost(key, self.compress) + 1
        worker = entry['worker']
        if worker is not None and not -1000 < worker < 10 ** 6:
            total += 2 * len(str(worker))
        tags = entry['tags']
        if tuple(tags) not in self.timeline.tag_sets:
            total += datascript.cost(json.dumps(tags), self.compress) + 2
        if self.raw is not None:
            gz = self.layout.classic_gzip
            total += file_cost(head + tail, gz, twin=False) + 32
            if choice and self.details is not None:
                classic = size + len(entry['name']) * 6 + 8
                total += classic + (classic >> 10) + 8 if gz else classic
        return total

    def _add_classic(self, name, parts):
        self.details.write('%s%s: ' % (self._details_sep, json_string(name)))
        for part in parts:
            self.details.write(part)
        self._details_sep = ',\n'

    def listed(self, item):
        """Take the cost of a failure or skip entry of stats.json; False if it does
        not fit (the model then leaves it out of the list). Its JSON's size is bounded
        from its strings' quoted sizes; quoting it in a script or a twin at most
        doubles it."""
        size = 16
        for key, value in item.items():
            size += len(key) + 8
            if isinstance(value, str):
                size += len(json_string(value))
            elif isinstance(value, list):
                size += sum([len(json_string(line)) + 2 for line in value])
            else:
                size += 32   # a number, or null
        layout = self.layout
        if layout.classic_tool:   # stats.json and its script twin
            need = packed_cost(size, True) if layout.classic_gzip else 3 * size
        else:
            need = datascript.packed_cost(size) if self.compress else 2 * size
        return self.budget.take(need, self.budget.reserve // 2)

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
            lines.append('%d test(s) left out of the run\'s files: the output budget '
                         '(%s) was used up; they are counted in its stats'
                         % (left_out, limits.flag('max_output_bytes')))
        return lines

    def _close_shard(self):
        if not self._shard_tests:
            return
        parts = ['{'] + self._shard + ['}\n']
        big = self._shard_big
        if not big and self.packer is None:
            # Small pieces only: joined here in one C call, not looked at one by one
            # (datascript.chunks) on the writer thread, which would hold the GIL.
            parts = [''.join(parts)]
        self._shard = []
        self._shard_sep = ''
        self._shard_size = 0
        self._shard_big = False
        self._shard_tests = 0
        rel = os.path.join(self.tests_dir, '%d.js' % self.shard_count)
        if self.packer is not None:
            written = self.packer.write(self.data_dir, rel, self.layout.encoding, parts,
                                        big, SHARD_LEVEL)
        else:
            written = self.bg.submit(self._write_shard, rel, parts)
        self._in_flight.append((written, self._shard_charged))
        self._shard_charged = 0
        self.shard_count += 1
        if len(self._in_flight) > IN_FLIGHT:
            self._settle(*self._in_flight.popleft())

    def _settle(self, written, charged):
        """Count a shard written. The bound taken for a compressed shard is well
        above its size: give the rest back once IN_FLIGHT more shards are given out
        (always at this point, so that what a budget keeps does not depend on
        timing)."""
        size = written.result()
        self.bytes_written += size
        self.budget.give_back(charged - size)

    def _write_shard(self, rel, parts):
        return datascript.write_script(self.data_dir, rel, parts, self.layout.encoding)

    def discard(self):
        """Drop every file of this run (its input turned out unreadable)."""
        self.bg.wait()
        if self.packer is not None:
            self.packer.wait()
        self.timeline.script.abandon()
        paths = [self.timeline.script.rel_path]
        for out in (self.raw, self.details):
            if out is not None:
                out.close()
                paths.append(out.rel_path)
        for path in paths:
            if os.path.exists(os.path.join(self.data_dir, path)):
                os.remove(os.path.join(self.data_dir, path))
        for folder in (self.tests_dir, self.ids_dir):
            shutil.rmtree(os.path.join(self.data_dir, folder), ignore_errors=True)

    def _small_script(self, files, key, rel, text):
        """Write JSON ``text`` as data script ``rel`` (files[key]), plain json when
        small (datascript.PLAIN_MAX); return its bytes."""
        encoding = datascript.encoding_for(text, self.layout.encoding)
        files[key] = rel
        files.setdefault('encodings', {})[key] = encoding
        return datascript.write_script(self.data_dir, rel, text, encoding)

    def close(self, stats):
        """Finish every file; return the artifact entries for config.json."""
        self._close_shard()
        self.bg.wait()
        layout = self.layout
        # The summary's workers table and slowest tests, so that it needs no timeline.
        stats = dict(stats, **self.figures.stats())
        self.bytes_written += self.timeline.close(stats.get('start'), self.tests_dir + '/',
                                                  self.shard_starts)
        self.id_buckets, size = write_id_index(
            self.data_dir, self.ids_dir, self.timeline.hashes, self.shard_starts,
            layout.encoding)
        self.bytes_written += size
        files = {'timeline': self.timeline.script.rel_path, 'tests': self.tests_dir + '/',
                 'test_shards': self.shard_count, 'ids': self.ids_dir + '/',
                 'id_buckets': self.id_buckets, 'count': self.timeline.count}
        if self.raw is not None:
            self.raw.write(']\n')
            self.bytes_written += self.raw.close()
            files['raw'] = self.raw.rel_path
        if self.details is not None:
            self.details.write('}\n')
            self.bytes_written += self.details.close()
            files['details'] = self.details.rel_path
        if layout.classic_tool:
            stats_rel = self.prefix + '-stats.json'
            self.bytes_written += write_whole(self.data_dir, stats_rel, json.dumps(stats),
                                              layout.classic_gzip)
            files['stats'] = stats_rel + ('.gz' if layout.classic_gzip else '')
        else:
            stats_rel = self.prefix + '-stats.js'
            stats = dict(stats, format_version=data_format.FORMAT_VERSION)
            self.bytes_written += self._small_script(files, 'stats', stats_rel,
                                                     json.dumps(stats))
        summary_rel = self.prefix + '-summary.js'
        summary = first_screen(stats)
        text = json.dumps(summary)
        self.bytes_written += self._small_script(files, 'summary', summary_rel, text)
        files['summary'] = summary_rel
        if len(text) <= datascript.PLAIN_MAX:
            # Small: config.json may carry it too, so that the summary needs no second
            # request (export keeps it for the first run only).
            files['summary_inline'] = summary
        # Last: the packer writes the last shards meanwhile.
        while self._in_flight:
            self._settle(*self._in_flight.popleft())
        return data_format.v2_run_artifacts(self.name, files, layout)
