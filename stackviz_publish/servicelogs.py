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

"""Each test's requests, traced into the job's service logs.

While a run is exported, a Tap sees every test's attachments and keeps the request
ids they name (``req-<uuid>``: Tempest logs ``x-openstack-request-id``,
``X-Compute-Request-Id`` and global request ids in that form). Then each service log
is read once (readers.oslolog) and its records are given to the tests whose ids they
name, and its ERROR/CRITICAL/TRACE records to the failed or unfinished tests running
at that moment. Memory grows with the ids and the records kept (both capped), not
with the size of the logs. See doc/source/data-format.rst, "Service logs".
"""
import bisect
import datetime
import fnmatch
import glob
import os
import re
import time
import urllib.parse

from stackviz_publish import discover
from stackviz_publish import readers

# devstack-gate: logs/screen-n-api.txt.gz; Zuul v3 devstack: controller/logs/screen-*.txt
DEFAULT_GLOBS = ('screen-*.txt', 'screen-*.txt.gz', 'screen-*.log', 'screen-*.log.gz')
MAX_TEST_IDS = 5000            # request ids kept per test
MAX_RUN_IDS = 500000           # and per run
MAX_TEST_RECORDS = 1000        # records kept per test
MAX_TEST_BYTES = 512 << 10     # and their text
MAX_RUN_BYTES = 64 << 20       # text kept for the whole run
MAX_FILES = 200
MAX_LOG_BYTES = 16 << 30       # decompressed bytes read over all files
TIMELINE_BUCKETS = 200
WINDOW_LOOKBACK = 200          # tests running at once looked at, per ERROR record
_REQUEST_ID = re.compile(r'req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}')
WINDOW_STATUSES = ('fail', 'uxsuccess', 'inprogress')


class LogFile:
    """A service log: where to read it, and how to name and link it."""

    def __init__(self, path, within, rel, href):
        self.path = path
        self.within = within    # the folder it must stay in (files.open_file), or None
        self.rel = rel          # shown to the user: relative to the logs folder
        self.href = href        # link from the site's page (LOGS/stackviz/index.html)

    @property
    def service(self):
        name = os.path.basename(self.rel)
        for suffix in ('.gz', '.txt', '.log'):
            if name.endswith(suffix):
                name = name[:-len(suffix)]
        return name[len('screen-'):] if name.startswith('screen-') else name


class Plan:
    """Which logs to read, and the budget: ``deadline`` (time.monotonic()) and
    ``max_bytes`` (decompressed bytes over all files)."""

    def __init__(self, logs, deadline=None, max_bytes=MAX_LOG_BYTES,
                 max_run_bytes=MAX_RUN_BYTES):
        self.logs = list(logs)
        self.deadline = deadline
        self.max_bytes = max_bytes
        self.max_run_bytes = max_run_bytes


def find_logs(logs_root, globs=DEFAULT_GLOBS, notes=None):
    """Service logs under ``logs_root`` (a real path), found as discovery finds
    inputs (bounded, no symlinks followed, never in stackviz/). A glob with a ``/``
    matches the path relative to the logs folder, others the file name."""
    notes = [] if notes is None else notes
    site = os.path.join(logs_root, 'stackviz')
    found = []
    for rel_dir, _dirs, names in discover.walk(logs_root, notes=notes):
        for name in names:
            rel = os.path.join(rel_dir, name)
            if any(fnmatch.fnmatchcase(rel if '/' in g else name, g) for g in globs):
                found.append(LogFile(os.path.join(logs_root, rel), logs_root, rel,
                                     _href(os.path.join(logs_root, rel), site)))
    return _limit(found, notes)


def named_logs(patterns, site_dir, notes=None):
    """Service logs named by the user (``--service-logs GLOB``): shell globs; each
    file may be anywhere (the user's choice) but must be a regular file."""
    notes = [] if notes is None else notes
    found, seen = [], set()
    for pattern in patterns:
        paths = sorted(glob.glob(pattern))
        if not paths:
            notes.append('--service-logs %s: no file matches' % pattern)
        for path in paths:
            real = os.path.abspath(path)
            if real not in seen and not os.path.isdir(path):
                seen.add(real)
                found.append(LogFile(path, None, path, _href(real, site_dir)))
    return _limit(found, notes)


def _href(path, site_dir):
    """A relative URL from the site's page to ``path``: quoted (a ``#`` or ``?`` in a
    file name stays part of it) and starting with ``.`` (never read as a scheme)."""
    rel = urllib.parse.quote(os.path.relpath(path, site_dir).replace(os.sep, '/'))
    return rel if rel.startswith('../') else './' + rel


def _limit(found, notes):
    found.sort(key=lambda log: log.rel)
    if len(found) > MAX_FILES:
        notes.append('service logs: %d files found, reading the first %d'
                     % (len(found), MAX_FILES))
    return found[:MAX_FILES]


def _epoch(iso):
    return datetime.datetime.fromisoformat(iso).timestamp() if iso else None


class Collector:
    """One run's tests as they are exported: their ids, times and request ids."""

    def __init__(self, prefix, name):
        self.prefix = prefix      # the run's file prefix (<name>-<i>)
        self.name = name          # its artifact name
        self.tests = []           # [test id, status, start, end] (epoch seconds)
        self.ids = {}             # request uuid (bytes, no "req-") -> [test index, ...]
        self.dropped_ids = 0

    def add(self, entry, details):
        index = len(self.tests)
        start, end = entry['timestamps']
        self.tests.append((entry['id'], entry['status'], _epoch(start), _epoch(end)))
        seen = set()
        for text in details.values():
            for rid in _REQUEST_ID.findall(text):
                if rid in seen:
                    continue
                if len(seen) >= MAX_TEST_IDS or len(self.ids) >= MAX_RUN_IDS:
                    self.dropped_ids += 1
                    continue
                seen.add(rid)
                self.ids.setdefault(rid[4:].encode('ascii'), []).append(index)

    def span(self):
        times = [t for test in self.tests for t in test[2:] if t is not None]
        return (min(times), max(times)) if times else (None, None)


class Tap:
    """A sink for model.RunBuilder that shows each test to a Collector first."""

    def __init__(self, sink, collector):
        self.sink = sink
        self.collector = collector
        self.stamped = getattr(sink, 'stamped', False)

    def add(self, entry, details, *stamps):
        self.collector.add(entry, details)
        return self.sink.add(entry, details, *stamps)

    # The run writer's output budget, seen through the tap: the model stops handing
    # over tests once it is used up, and charges stats.json's lists to it.
    @property
    def full(self):
        return self.sink.full

    def listed(self, item):
        return self.sink.listed(item)


class TestLines:
    __slots__ = ('records', 'size', 'cut', 'errors', 'seen')

    def __init__(self):
        self.records = []     # (file index, line, time, level, text)
        self.size = 0
        self.cut = 0          # records not kept (caps)
        self.errors = 0       # ERROR/CRITICAL/TRACE records among those found
        self.seen = set()


class Result:
    """What the pass found for one run."""

    def __init__(self, collector, files, max_bytes):
        self.collector = collector
        self.left = max_bytes         # text the run may still keep (None: no cap)
        self.files = files            # the LogFiles, index = position
        self.tests = {}               # test index -> TestLines
        self.timeline = None          # (start, step, {file index: [counts]})
        self.cut = 0                  # records dropped by the run's cap
        self.notes = []


class _Windows:
    """Failed and unfinished tests' time windows, for "which test was running?"."""

    def __init__(self, tests):
        spans = sorted((start, end, i) for i, (_id, status, start, end) in enumerate(tests)
                       if status in WINDOW_STATUSES and start is not None
                       and end is not None)
        self.spans = spans
        self.starts = [s[0] for s in spans]

    def at(self, when):
        found = []
        i = bisect.bisect_right(self.starts, when)
        for j in range(i - 1, max(-1, i - 1 - WINDOW_LOOKBACK), -1):
            start, end, index = self.spans[j]
            if end >= when:
                found.append(index)
        return found


def index(plan, collectors, note):
    """Read every log of ``plan`` once; return a Result per collector."""
    results = [Result(c, plan.logs, plan.max_run_bytes) for c in collectors]
    wanted = {}
    for run, collector in enumerate(collectors):
        for rid, tests in collector.ids.items():
            wanted.setdefault(rid, []).append((run, tests))
        if collector.dropped_ids:
            note('service logs: %d request id(s) of run %s not looked for (more than %d '
                 'per test or %d per run)' % (collector.dropped_ids, collector.name,
                                              MAX_TEST_IDS, MAX_RUN_IDS))
    windows = [_Windows(c.tests) for c in collectors]
    timelines = [_Timeline(c.span()) for c in collectors]
    budget = _Budget(plan)
    wanted_set = frozenset(wanted)
    starts = [c.span()[0] for c in collectors if c.span()[0] is not None]
    year = time.gmtime(min(starts)).tm_year if starts else None   # for journal times
    for number, log in enumerate(plan.logs):
        scan = readers.ServiceLogScan(log.path, log.within, wanted_set, budget.spend, log.rel, year)
        try:
            for record in scan.records():
                _assign(record, number, wanted, windows, timelines, results)
        except readers.ServiceLogStop as exc:
            for message in scan.notes:
                note(message)
            note('service logs: %s: stopped in %s after %d bytes; the rest is not indexed'
                 % (exc, log.rel, scan.bytes_read))
            break
        for message in scan.notes:
            note(message)
    for result, timeline in zip(results, timelines):
        result.timeline = timeline.export()
        if result.cut:
            note('service logs: run %s: %d record(s) not kept (more than %d bytes for '
                 'the run)' % (result.collector.name, result.cut, plan.max_run_bytes))
    return results


class _Budget:
    def __init__(self, plan):
        self.deadline = plan.deadline
        self.left = plan.max_bytes

    def spend(self, size):
        self.left -= size
        if self.left < 0:
            raise readers.ServiceLogStop('read limit reached')
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise readers.ServiceLogStop('time limit reached')


class _Timeline:
    """ERROR/CRITICAL records per file over the run, in TIMELINE_BUCKETS buckets."""

    def __init__(self, span):
        self.start, end = span
        self.step = max(1.0, (end - self.start) / TIMELINE_BUCKETS) if end else None
        self.counts = {}

    def add(self, number, when):
        if self.step is None or when is None or when < self.start:
            return
        bucket = int((when - self.start) / self.step)
        if bucket <= TIMELINE_BUCKETS:
            counts = self.counts.setdefault(number, [0] * (TIMELINE_BUCKETS + 1))
            counts[bucket] += 1

    def export(self):
        if self.step is None:
            return None
        return (self.start, self.step, self.counts)


def _assign(record, number, wanted, windows, timelines, results):
    if len(record.ids) == 1 and not record.error:   # most records: one request's line
        for run, tests in wanted[next(iter(record.ids))]:
            for test in tests:
                _keep(results[run], test, number, record)
        return
    targets = [set() for _ in results]
    for rid in record.ids:
        for run, tests in wanted[rid]:
            targets[run].update(tests)
    if record.error:
        for run, win in enumerate(windows):
            if record.level != 'TRACE':
                timelines[run].add(number, record.time)
            if record.time is not None:
                targets[run].update(win.at(record.time))
    for run, tests in enumerate(targets):
        for test in tests:
            _keep(results[run], test, number, record)


def _keep(result, test, number, record):
    lines = result.tests.get(test)
    if lines is None:
        lines = result.tests[test] = TestLines()
    key = (number, record.line)
    if key in lines.seen:
        return
    lines.seen.add(key)
    if record.error:
        lines.errors += 1
    size = len(record.text)
    if len(lines.records) >= MAX_TEST_RECORDS or lines.size + size > MAX_TEST_BYTES:
        lines.cut += 1
        return
    if result.left is not None:
        if size > result.left:
            lines.cut += 1
            result.cut += 1
            return
        result.left -= size
    lines.size += size
    lines.records.append((number, record.line, record.time, record.level, record.text))
