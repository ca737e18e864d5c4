"""Turn subunit events into tests and one run, in a single pass.

Only tests still running are held in memory, each with its attachments; a test that
finishes is handed to the sink (the run writer) at once and forgotten, so memory
grows with the number of tests (their ids, for uniqueness) and not with the size of
their logs. The sink is any object with ``add(entry, details)`` returning the details
shard index (or None); see writers.run.
"""
import datetime
import re

from stackviz_publish import triage
from stackviz_publish.readers.subunit_v2 import FIRST_STAMP
from stackviz_publish.readers.subunit_v2 import LAST_STAMP

FINAL = frozenset(('success', 'fail', 'skip', 'xfail', 'uxsuccess'))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_NON_WORD = re.compile(r'\W')
_WORKER = re.compile(r'^worker-(\d+)$')
FAILURE_LINES = 10
TAIL = 20000   # failure messages come from the end of a traceback: look no further back


_last_second = (None, '')
_NAIVE_EPOCH = datetime.datetime(1970, 1, 1)


def iso(stamp_us):
    """ISO 8601 with offset, microseconds always shown, four-digit year (0001-9999; a
    time outside those years is moved to the nearest, which the readers already do).
    Consecutive timestamps mostly share their second, so its text is kept from one
    call to the next."""
    global _last_second
    second, micro = divmod(stamp_us, 1000000)
    cached = _last_second
    if second != cached[0]:
        if not FIRST_STAMP <= stamp_us <= LAST_STAMP:
            return iso(min(max(stamp_us, FIRST_STAMP), LAST_STAMP))
        # isoformat, unlike strftime('%Y'), writes years before 1000 with four digits.
        cached = _last_second = (second, (_NAIVE_EPOCH + datetime.timedelta(
            0, second)).isoformat() + '.')
    return '%s%06d+00:00' % (cached[1], micro)


def clean_name(test_id):
    """The classic exporter's display name: drop the first ``[...]`` (Tempest's
    ``[id-...,smoke]``) and turn ``setUpClass (pkg.mod.Class)`` into
    ``pkg.mod.Class.setUpClass``."""
    start = test_id.find('[')
    if start > 0:
        end = test_id.find(']', start)
        if end > start:
            test_id = test_id[:start] + test_id[end + 1:]
    if test_id.endswith(')'):
        open_paren = test_id.find(' (')
        if open_paren > 0 and ' ' not in test_id[:open_paren]:
            fixture = test_id[:open_paren]
            owner = test_id[open_paren + 2:-1]
            if owner and ' ' not in owner:
                test_id = owner + '.' + fixture
    return test_id


def attachment_key(file_name):
    """Classic attachment names: non-word characters stripped."""
    return _NON_WORD.sub('', file_name)


def failure_message(text):
    """The meaningful last lines of a traceback: the last frame and the exception."""
    lines = [line for line in text[-TAIL:].rstrip().splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith('  File "'):
            lines = lines[i:]
            break
    return lines[-FAILURE_LINES:]


def worker_of(tags):
    for tag in tags or ():
        match = _WORKER.match(tag)
        if match:
            return int(match.group(1))
    return None


class _Test:
    __slots__ = ('test_id', 'start', 'last', 'tags', 'files', 'sizes', 'started',
                 'guessed')

    def __init__(self, test_id, stamp, started):
        self.test_id = test_id
        self.start = stamp
        self.last = stamp
        self.tags = None
        self.files = {}
        self.sizes = {}
        self.started = started
        self.guessed = False


class RunBuilder:
    """Consume event tuples (see readers.subunit_v2) for one run."""

    def __init__(self, sink, max_attachment_bytes=None):
        self.sink = sink
        self.limit = max_attachment_bytes
        self.open = {}
        self.seen_ids = {}
        self.first = None
        self.last = None
        self.counts = dict.fromkeys(('success', 'fail', 'skip', 'xfail', 'uxsuccess',
                                     'inprogress'), 0)
        self.total_duration = 0.0
        self.failures = []
        self.skips = []
        self.inprogress = []
        self.workers = set()
        self.lane_end = {}
        self.bad_utf8 = 0
        self.first_bad_utf8 = None
        self.cut = 0
        self.warnings = []

    # -- events -------------------------------------------------------------------

    def consume(self, events):
        """Feed an iterable of event tuples; the hot loop of the export."""
        opened = self.open
        final = FINAL
        for test_id, status, tags, stamp, file_name, file_bytes, eof, route in events:
            if stamp is not None:
                if self.last is None or stamp > self.last:
                    self.last = stamp
                if self.first is None or stamp < self.first:
                    self.first = stamp
            if test_id is None:
                continue   # run-level output (non-subunit text): not a test's
            key = test_id if route is None else route + '\0' + test_id
            test = opened.get(key)
            if test is None:
                if status == 'exists' and file_name is None:
                    continue   # a test listing, not a test run
                # A bare packet (no status, no file) starts a test too; a file
                # chunk alone (late output of a finished test) does not.
                test = opened[key] = _Test(
                    test_id, stamp, status == 'inprogress' or status in final
                    or (status is None and file_name is None))
            elif stamp is not None:
                test.last = stamp
                if test.start is None:
                    test.start = stamp
            if file_name is not None and file_bytes:
                self._add_file(test, file_name, file_bytes)
            if tags:
                test.tags = tags
            if status in final:
                del opened[key]
                self._finish(test, status)
            elif status == 'inprogress':
                test.started = True

    def _add_file(self, test, file_name, data):
        sizes = test.sizes
        size = sizes.get(file_name, 0)
        sizes[file_name] = size + len(data)
        if self.limit is not None and size + len(data) > self.limit:
            data = data[:max(0, self.limit - size)]
            if not data:
                return
        chunks = test.files.get(file_name)
        if chunks is None:
            test.files[file_name] = [data]
        else:
            chunks.append(data)

    # -- tests --------------------------------------------------------------------

    def _unique(self, test_id):
        n = self.seen_ids.get(test_id, 0) + 1
        self.seen_ids[test_id] = n
        return test_id if n == 1 else '%s #%d' % (test_id, n)

    def _details(self, test):
        """Decode a test's attachments (and let their bytes go)."""
        details = {}
        for file_name, chunks in test.files.items():
            data = chunks[0] if len(chunks) == 1 else b''.join(chunks)
            chunks.clear()   # a huge attachment: hold as few copies as possible
            try:
                text = data.decode('utf-8')
            except UnicodeDecodeError:
                text = data.decode('utf-8', 'replace')
                self.bad_utf8 += 1
                if self.first_bad_utf8 is None:
                    self.first_bad_utf8 = (test.test_id, file_name)
            kept = len(data)
            data = None
            total = test.sizes[file_name]
            if total > kept:
                self.cut += 1
                text += '\n[stackviz: cut at %d bytes of %d]' % (kept, total)
            if text:
                details[attachment_key(file_name)] = text
        test.files = None
        return details

    def _finish(self, test, status):
        end = test.last
        start = test.start if test.start is not None else end
        duration = (end - start) / 1e6 if end is not None else 0.0
        details = self._details(test)
        tags = sorted(test.tags) if test.tags else []
        worker = worker_of(tags)
        uid = self._unique(test.test_id)
        name = clean_name(test.test_id)
        entry = {'name': name, 'status': status, 'tags': tags,
                 'timestamps': [iso(start) if start is not None else None,
                                iso(end) if end is not None else None],
                 'duration': duration, 'details': {}, 'id': uid, 'worker': worker}
        self.counts[status] += 1
        self.total_duration += duration
        if worker is not None:
            self.workers.add(worker)
            if end is not None and end > self.lane_end.get(worker, -1):
                self.lane_end[worker] = end
        if status == 'fail' or status == 'uxsuccess':
            self.failures.append({'name': name, 'id': uid, 'duration': duration,
                                  'details': failure_message(_traceback(details))})
        elif status == 'skip':
            self.skips.append({'name': name, 'id': uid, 'duration': duration,
                               'details': details.get('reason', '').strip()[:2000]})
        self.sink.add(entry, details)

    def finish(self):
        """Hand over the tests that never finished; return the run's stats dict."""
        run_end = self.last
        unfinished = [t for t in self.open.values() if t.started]
        unfinished.sort(key=lambda t: (t.start if t.start is not None else 0))
        self._guess_lanes(unfinished)
        for test in unfinished:
            start = test.start if test.start is not None else run_end
            details = self._details(test)
            uid = self._unique(test.test_id)
            name = clean_name(test.test_id)
            tags = sorted(test.tags) if test.tags else []
            worker = worker_of(tags)
            entry = {'name': name, 'status': 'inprogress', 'tags': tags,
                     'timestamps': [iso(start) if start is not None else None,
                                    iso(run_end) if run_end is not None else None],
                     'duration': (run_end - start) / 1e6 if start is not None else 0.0,
                     'details': {}, 'id': uid, 'worker': worker, 'unfinished': True}
            if test.guessed:
                entry['worker_guessed'] = True
            self.counts['inprogress'] += 1
            if worker is not None:
                self.workers.add(worker)
            self.inprogress.append({'name': name, 'id': uid, 'worker': worker,
                                    'start': entry['timestamps'][0]})
            self.sink.add(entry, details)
        self.open = {}
        self._collect_warnings()
        return self.stats()

    def _guess_lanes(self, unfinished):
        """A test that never finished often carries no worker tag (stestr tags the
        final packet only). Each worker runs one test at a time, so the test belongs
        to a worker that finished nothing after it started: pick, among those, the
        one whose last test ended closest before its start."""
        free = dict(self.lane_end)
        for test in unfinished:
            if worker_of(test.tags) is not None or test.start is None:
                continue
            candidates = [(end, w) for w, end in free.items() if end <= test.start]
            if not candidates:
                continue
            _end, worker = max(candidates)
            del free[worker]
            test.tags = list(test.tags or ()) + ['worker-%d' % worker]
            test.guessed = True

    def _collect_warnings(self):
        if self.bad_utf8:
            test_id, file_name = self.first_bad_utf8
            self.warnings.append(
                '%d attachment(s) were not valid UTF-8 (first: %r of test %s); '
                'undecodable bytes are shown as U+FFFD' % (self.bad_utf8, file_name,
                                                           test_id))
        if self.cut:
            self.warnings.append('%d attachment(s) longer than %d bytes were cut'
                                 % (self.cut, self.limit))

    def stats(self):
        first, last = self.first, self.last
        return {
            'count': sum(self.counts[s] for s in FINAL),
            'start': iso(first) if first is not None else None,
            'end': iso(last) if last is not None else None,
            'total_duration': self.total_duration,
            'failures': self.failures,
            'skips': self.skips,
            'format_version': 1,
            'wall_time': (last - first) / 1e6 if first is not None else None,
            'workers': sorted(self.workers),
            'counts': dict(self.counts),
            'inprogress': self.inprogress,
            'warnings': self.warnings,
            'triage': triage.triage(self.failures, self.skips),
        }


def _traceback(details):
    text = details.get('traceback')
    if text is None:
        for key, value in details.items():
            if 'traceback' in key.lower():
                return value
        return ''
    return text
