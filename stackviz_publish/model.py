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

"""Turn subunit events into tests and one run, in a single pass, in two steps:

- TestMaker: events -> finished tests (records), within the limits on what a test
  keeps. Only tests still running are held in memory, each with its attachments; a
  test that finishes is handed over at once and forgotten, so memory does not grow
  with the size of the logs. It needs nothing of the output, so it may run in the
  process that reads the stream (make_tests, readers.apart).
- RunBuilder: records -> the sink (the run writer) and the run's stats. It gives each
  test its unique id (a 64-bit digest of each id is kept: see idset), its name and
  ISO 8601 times, and asks the sink's output budget.

The sink is any object with ``add(entry, details)``; it may also have ``full`` (True
once it takes no more tests) and ``listed(item)`` (False when a stats list entry does
not fit its output budget); see writers.run. What a test and a run may hold is
bounded by a limits.Limits (see doc/source/exporter.rst, "Limits").
"""
import datetime
import hashlib
from itertools import chain
import re

from stackviz_publish import idset
from stackviz_publish import limits as limits_mod
from stackviz_publish import triage
from stackviz_publish.readers import FIRST_STAMP
from stackviz_publish.readers import LAST_STAMP

FINAL = frozenset(('success', 'fail', 'skip', 'xfail', 'uxsuccess'))
_NON_WORD = re.compile(r'\W')
_WORKER = re.compile(r'^worker-(\d+)$')
FAILURE_LINES = 10
# Tests running at once: more means a broken stream (each holds memory until it ends).
MAX_OPEN_TESTS = 100000
TAIL = 20000   # failure messages come from the end of a traceback: look no further back
# stats.json lists failures and skips up to this many characters (ids, names and
# messages); further ones are counted, and the site finds them in the timeline.
MAX_LISTED_CHARS = 4 * 1024 * 1024
ID_CUT = ' [stackviz: id cut at '
MESSAGE_CUT = '(%s)]' % limits_mod.flag('max_message_chars')


_NAIVE_EPOCH = datetime.datetime(1970, 1, 1)
# Small caches of the per-test work that repeats (a run's tests share seconds, tag
# sets and file names); each is emptied when it reaches CACHED entries, so hostile
# input costs at most a rebuild now and then.
CACHED = 4096
_SECOND_TEXT = {}      # second since the epoch -> its ISO 8601 text up to the "."
_KEYS = {}             # attachment file name -> its classic key
_TAGS = {}             # tuple of tags -> (sorted tags, worker)


def iso(stamp_us):
    """ISO 8601 with offset, microseconds always shown, four-digit year (0001-9999; a
    time outside those years is moved to the nearest, which the readers already do)."""
    second, micro = divmod(stamp_us, 1000000)
    text = _SECOND_TEXT.get(second)
    if text is None:
        if not FIRST_STAMP <= stamp_us <= LAST_STAMP:
            return iso(min(max(stamp_us, FIRST_STAMP), LAST_STAMP))
        if len(_SECOND_TEXT) >= CACHED:
            _SECOND_TEXT.clear()
        # isoformat, unlike strftime('%Y'), writes years before 1000 with four digits.
        text = _SECOND_TEXT[second] = (_NAIVE_EPOCH + datetime.timedelta(
            0, second)).isoformat() + '.'
    return '%s%06d+00:00' % (text, micro)


def _clamped(stamp_us):
    """A time (or None) as iso() writes it: within the years 0001-9999."""
    if stamp_us is None or FIRST_STAMP <= stamp_us <= LAST_STAMP:
        return stamp_us
    return min(max(stamp_us, FIRST_STAMP), LAST_STAMP)


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
    key = _KEYS.get(file_name)
    if key is None:
        if len(_KEYS) >= CACHED:
            _KEYS.clear()
        key = _KEYS[file_name] = _NON_WORD.sub('', file_name)
    return key


def failure_message(text, max_chars=None):
    """The meaningful last lines of a traceback: the last frame and the exception,
    at most ``max_chars`` characters (then a marker line says what was cut)."""
    lines = [line for line in text[-TAIL:].rstrip().splitlines() if line.strip()]
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].startswith('  File "'):
            lines = lines[i:]
            break
    lines = lines[-FAILURE_LINES:]
    total = sum(map(len, lines))
    if max_chars is None or total <= max_chars:
        return lines
    kept, room = [], max_chars
    for line in lines:
        if room <= 0:
            break
        kept.append(line[:room])
        room -= len(kept[-1])
    kept.append(limits_mod.cut_marker(max_chars, total, 'max_message_chars', 'chars'))
    return kept


def skip_reason(text, max_chars=None):
    """A skip reason, cut at ``max_chars`` with a marker line."""
    text = text.strip()
    if max_chars is None or len(text) <= max_chars:
        return text
    return '%s\n%s' % (text[:max_chars], limits_mod.cut_marker(
        max_chars, len(text), 'max_message_chars', 'chars'))


def cut_id(test_id, max_chars):
    """A test id longer than ``max_chars``: its start, then a marker holding its length
    and a digest of the whole (ids differing only after the cut stay apart)."""
    digest = hashlib.blake2b(test_id.encode('utf-8', 'replace'), digest_size=6).hexdigest()
    return '%s%s%d of %d chars, digest %s]' % (
        test_id[:max_chars], ID_CUT, max_chars, len(test_id), digest)


def sorted_tags(tags):
    """(a new sorted list of ``tags``, the worker their ``worker-N`` tag names)."""
    if not tags:
        return [], None
    key = tuple(tags)
    known = _TAGS.get(key)
    if known is None:
        if len(_TAGS) >= CACHED:
            _TAGS.clear()
        ordered = tuple(sorted(tags))
        known = _TAGS[key] = (ordered, worker_of(ordered))
    return list(known[0]), known[1]


def worker_of(tags):
    for tag in tags or ():
        match = _WORKER.match(tag)
        if match:
            return int(match.group(1))
    return None


class _Test:
    __slots__ = ('test_id', 'start', 'last', 'tags', 'files', 'sizes', 'started',
                 'guessed', 'kept', 'cut_by', 'dropped')

    def __init__(self, test_id, stamp, started):
        self.test_id = test_id
        self.start = stamp
        self.last = stamp
        self.tags = None
        self.files = {}
        self.sizes = {}
        self.started = started
        self.guessed = False
        self.kept = 0         # attachment bytes held
        self.cut_by = None    # {file name: the setting that cut it}
        self.dropped = 0      # bytes of attachments past max_test_attachments


# A finished test as TestMaker hands it over: a flat tuple (marshal reads these back
# three times faster than the entry's dicts, when a child process made them).
#   (status, test id, tags, start, end, duration, worker,
#    details (key, text, key, text, ...), flags, said)
# Start and end in microseconds (or None), clamped as iso() writes them; ``flags``:
# UNFINISHED, GUESSED; ``said``: a failure's message lines, a skip's reason, else
# None. The builder gives the test its unique id, name and ISO 8601 times.
UNFINISHED, GUESSED = 1, 2


class TestMaker:
    """Consume event tuples (see readers.subunit_v2) for one run, within ``limits``
    (a limits.Limits; default: limits.Limits()); hand each finished test, as a record,
    to ``take``. This is the part of building a run that needs nothing of its output:
    it may run in the process that reads the stream (see export)."""

    __test__ = False   # not a test class, whatever its name says to pytest

    def __init__(self, take, limits=None):
        self.take = take
        limits = limits or limits_mod.Limits()
        self.limits = limits
        self.max_attachment_bytes = limits.max_attachment_bytes
        self.max_test_attachment_bytes = limits.max_test_attachment_bytes
        self.max_test_attachments = limits.max_test_attachments
        self.max_run_details_bytes = limits.max_run_details_bytes
        self.max_id_chars = limits.max_id_chars
        self.max_message_chars = limits.max_message_chars
        self.run_kept = 0
        self.open = {}
        self.first = None
        self.last = None
        self.lane_end = {}
        self.bad_utf8 = 0
        self.first_bad_utf8 = None
        self.cuts = {}         # setting -> number of cuts it made
        self.too_many_open = 0

    # -- events -------------------------------------------------------------------

    def consume(self, events, check=None, every=4096):
        """Feed an iterable of event tuples; the hot loop of the export. ``check`` is
        called every ``every`` events (the time limit's backstop: it may raise)."""
        opened = self.open
        final = FINAL
        max_id_chars = self.max_id_chars
        add_file = self._add_file
        finish = self._finish
        # The run's first and last times live in locals here (one test per event is
        # the whole cost of this loop), and are stored back however it ends.
        first, last = self.first, self.last
        countdown = every
        try:
            for test_id, status, tags, stamp, file_name, file_bytes, eof, route in events:
                countdown -= 1
                if not countdown:
                    countdown = every
                    if check is not None:
                        check()
                if stamp is not None:
                    if last is None or stamp > last:
                        last = stamp
                    if first is None or stamp < first:
                        first = stamp
                if test_id is None:
                    continue   # run-level output (non-subunit text): not a test's
                if max_id_chars is not None and len(test_id) > max_id_chars:
                    test_id = cut_id(test_id, max_id_chars)
                key = test_id if route is None else route + '\0' + test_id
                test = opened.get(key)
                if test is None:
                    if status == 'exists' and file_name is None:
                        continue   # a test listing, not a test run
                    if len(opened) >= MAX_OPEN_TESTS and status not in final:
                        self.too_many_open += 1
                        continue
                    # A bare packet (no status, no file) starts a test too; a file
                    # chunk alone (late output of a finished test) does not.
                    test = opened[key] = _Test(
                        test_id, stamp, status == 'inprogress' or status in final
                        or (status is None and file_name is None))
                    if max_id_chars is not None and test_id.endswith(']') \
                            and ID_CUT in test_id:
                        self._count_cut('max_id_chars')
                elif stamp is not None:
                    test.last = stamp
                    if test.start is None:
                        test.start = stamp
                if file_name is not None and file_bytes:
                    add_file(test, file_name, file_bytes)
                if tags:
                    test.tags = tags
                if status in final:
                    del opened[key]
                    finish(test, status)
                elif status == 'inprogress':
                    test.started = True
        finally:
            self.first, self.last = first, last

    def _count_cut(self, setting):
        self.cuts[setting] = self.cuts.get(setting, 0) + 1

    def _add_file(self, test, file_name, data):
        """Hold an attachment chunk, unless a limit says otherwise: then keep what
        fits and remember which limit cut the attachment (nothing more is added to
        an attachment once it has been cut)."""
        sizes = test.sizes
        size = sizes.get(file_name)
        n = len(data)
        if size is None:
            most = self.max_test_attachments
            if most is not None and len(sizes) >= most:
                if not test.dropped:
                    self._count_cut('max_test_attachments')
                test.dropped += n
                return
            size = 0
        sizes[file_name] = size + n
        cut_by = test.cut_by
        if cut_by is not None and file_name in cut_by:
            return
        room, setting = n, None
        limit = self.max_attachment_bytes
        if limit is not None and size + n > limit:
            room, setting = max(0, limit - size), 'max_attachment_bytes'
        limit = self.max_test_attachment_bytes
        if limit is not None and test.kept + room > limit:
            room, setting = max(0, limit - test.kept), 'max_test_attachment_bytes'
        limit = self.max_run_details_bytes
        if limit is not None and self.run_kept + room > limit:
            room, setting = max(0, limit - self.run_kept), 'max_run_details_bytes'
        if setting is not None:
            if cut_by is None:
                cut_by = test.cut_by = {}
            cut_by[file_name] = setting
            self._count_cut(setting)
            for _ in range(3):   # cut before a UTF-8 character, not inside it
                if room and data[room] & 0xC0 == 0x80:
                    room -= 1
            data = data[:room]
            if not data:
                if file_name not in test.files:
                    test.files[file_name] = []
                return
        test.kept += room
        self.run_kept += room
        chunks = test.files.get(file_name)
        if chunks is None:
            test.files[file_name] = [data]
        else:
            chunks.append(data)

    # -- tests --------------------------------------------------------------------

    def _details(self, test):
        """Decode a test's attachments (and let their bytes go)."""
        details = {}
        cut_by = test.cut_by or {}
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
            setting = cut_by.get(file_name)
            if setting is not None:
                text += '\n' + limits_mod.cut_marker(kept, test.sizes[file_name], setting)
            if text:
                details[_KEYS.get(file_name) or attachment_key(file_name)] = text
        if test.dropped:
            details[limits_mod.CUT_KEY] = (
                '[stackviz: attachments after the first %d not kept: %d bytes (%s)]'
                % (self.max_test_attachments, test.dropped,
                   limits_mod.flag('max_test_attachments')))
        test.files = None
        return details

    def _finish(self, test, status):
        end = test.last
        start = test.start if test.start is not None else end
        details = self._details(test)
        tags, worker = sorted_tags(test.tags)
        if worker is not None and end is not None and end > self.lane_end.get(worker, -1):
            self.lane_end[worker] = end
        said = None
        if status == 'fail' or status == 'uxsuccess':
            said = failure_message(_traceback(details), self.max_message_chars)
            if said and said[-1].endswith(MESSAGE_CUT):
                self._count_cut('max_message_chars')
        elif status == 'skip':
            said = skip_reason(details.get('reason', ''), self.max_message_chars)
            if said.endswith(MESSAGE_CUT):
                self._count_cut('max_message_chars')
        self.take((status, test.test_id, tags, _clamped(start), _clamped(end),
                   (end - start) / 1e6 if end is not None else 0.0, worker,
                   tuple(chain.from_iterable(details.items())) if details else (), 0,
                   said))

    def finish(self):
        """Hand over the tests that never finished (status ``inprogress``)."""
        run_end = self.last
        unfinished = [t for t in self.open.values() if t.started]
        unfinished.sort(key=lambda t: (t.start if t.start is not None else 0))
        self._guess_lanes(unfinished)
        for test in unfinished:
            start = test.start if test.start is not None else run_end
            details = self._details(test)
            tags, worker = sorted_tags(test.tags)
            self.take(('inprogress', test.test_id, tags, _clamped(start),
                       _clamped(run_end),
                       (run_end - start) / 1e6 if start is not None else 0.0, worker,
                       tuple(chain.from_iterable(details.items())) if details else (),
                       UNFINISHED | (GUESSED if test.guessed else 0), None))
        self.open = {}

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

    def state(self):
        """What the run's stats need of this maker (marshal-able)."""
        return {'first': self.first, 'last': self.last, 'bad_utf8': self.bad_utf8,
                'first_bad_utf8': self.first_bad_utf8, 'cuts': list(self.cuts.items()),
                'too_many_open': self.too_many_open}


def make_tests(events, emit, limits=None):
    """Make a run's tests from ``events``: each record goes to ``emit(record, size)``
    (``size``: its attachments' characters); return the maker's state(). What the
    process that reads a stream runs (see export and readers.apart)."""
    maker = TestMaker(lambda record: emit(record, sum(map(len, record[7]))), limits)
    maker.consume(events)
    maker.finish()
    return maker.state()


class RunBuilder:
    """Build one run from event tuples (see readers.subunit_v2), within ``limits``
    (a limits.Limits; default: limits.Limits()): a TestMaker makes the tests, this
    hands them to the sink and keeps the run's stats."""

    def __init__(self, sink, limits=None):
        self.sink = sink
        self.limits = limits or limits_mod.Limits()
        self.maker = TestMaker(self.take, self.limits)
        self.taken = idset.IdSet()   # every id given out, for uniqueness (digests)
        self.next_n = {}       # id -> next " #n" to try
        self.counts = dict.fromkeys(('success', 'fail', 'skip', 'xfail', 'uxsuccess',
                                     'inprogress'), 0)
        self.total_duration = 0.0
        self.failures = []
        self.skips = []
        self.inprogress = []
        self.workers = set()
        self.listed_chars = 0
        self.unlisted = 0
        self.left_out = 0      # tests not handed to a full sink
        self._sink_fills = hasattr(sink, 'full')
        # A sink that says ``stamped`` takes each test's (start, end) in microseconds
        # too, the times its ISO 8601 text says (the timeline needs no parsing).
        self._stamped = getattr(sink, 'stamped', False)
        self.warnings = []

    def consume(self, events, check=None, every=4096):
        """Feed an iterable of event tuples (see TestMaker.consume)."""
        self.maker.consume(events, check, every)

    def take_all(self, records, check=None, every=4096):
        """Take records made elsewhere (by a TestMaker in a child process), in order;
        ``check`` as for consume."""
        take = self.take
        countdown = every
        for record in records:
            countdown -= 1
            if not countdown:
                countdown = every
                if check is not None:
                    check()
            take(record)

    def take(self, record):
        """One finished test (a TestMaker record): counted, listed, and handed to the
        sink unless it is full."""
        (status, test_id, tags, start_us, end_us, duration, worker, details, flags,
         said) = record
        self.counts[status] += 1
        if not flags:
            self.total_duration += duration
        if self._sink_fills and self.sink.full:
            self.left_out += 1
            return
        uid = self._unique(test_id)
        name = clean_name(test_id)
        start = iso(start_us) if start_us is not None else None
        end = iso(end_us) if end_us is not None else None
        entry = {'name': name, 'status': status, 'tags': tags, 'timestamps': [start, end],
                 'duration': duration, 'details': {}, 'id': uid, 'worker': worker}
        if flags:
            entry['unfinished'] = True
            if flags & GUESSED:
                entry['worker_guessed'] = True
        if worker is not None:
            self.workers.add(worker)
        if status == 'fail' or status == 'uxsuccess':
            self._list(self.failures, {'name': name, 'id': uid, 'duration': duration,
                                       'details': said, 'worker': worker, 'start': start},
                       len(name) + len(uid) + sum(map(len, said)))
        elif status == 'skip':
            self._list(self.skips, {'name': name, 'id': uid, 'duration': duration,
                                    'details': said, 'worker': worker, 'start': start},
                       len(name) + len(uid) + len(said))
        elif flags:
            self._list(self.inprogress, {'name': name, 'id': uid, 'worker': worker,
                                         'start': start}, len(name) + len(uid))
        details = dict(zip(details[::2], details[1::2])) if details else {}
        if self._stamped:
            self.sink.add(entry, details, (start_us, end_us))
        else:
            self.sink.add(entry, details)

    def _unique(self, test_id):
        """``test_id``, or ``test_id #n`` with the lowest free n >= 2: free among every
        id given out, real ones included (a test named ``x #2`` and a second ``x`` stay
        apart). Each base id only counts upwards, so this stays linear."""
        taken = self.taken
        if taken.add(test_id):
            return test_id
        n = self.next_n.get(test_id, 2)
        uid = '%s #%d' % (test_id, n)
        while not taken.add(uid):
            n += 1
            uid = '%s #%d' % (test_id, n)
        self.next_n[test_id] = n + 1
        return uid

    def _list(self, items, item, size):
        """Add a failure or skip to stats.json's lists, within MAX_LISTED_CHARS and
        what the sink's budget allows."""
        if self.listed_chars + size > MAX_LISTED_CHARS or not self._listed(item):
            self.unlisted += 1
            return
        self.listed_chars += size
        items.append(item)

    def _listed(self, item):
        listed = getattr(self.sink, 'listed', None)
        return listed is None or listed(item)

    def finish(self, made=None):
        """Hand over the tests that never finished; return the run's stats dict.
        ``made``: the TestMaker's state() when the tests were made elsewhere (its
        unfinished tests already taken); else this builder's maker finishes."""
        if made is None:
            self.maker.finish()
            made = self.maker.state()
        self._collect_warnings(made)
        return self.stats(made['first'], made['last'])

    def _collect_warnings(self, made):
        if made['bad_utf8']:
            test_id, file_name = made['first_bad_utf8']
            self.warnings.append(
                '%d attachment(s) were not valid UTF-8 (first: %r of test %s); '
                'undecodable bytes are shown as U+FFFD' % (made['bad_utf8'], file_name,
                                                           test_id))
        self.warnings += cut_warnings(dict(made['cuts']), self.limits)
        if self.unlisted:
            self.warnings.append(
                '%d failure(s), skip(s) or unfinished test(s) not listed in stats.json '
                '(its lists are full); the timeline has them' % self.unlisted)
        if made['too_many_open']:
            self.warnings.append(
                '%d test(s) started while %d were running were ignored (a broken '
                'stream?)' % (made['too_many_open'], MAX_OPEN_TESTS))

    def stats(self, first, last):
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


_CUT_WHAT = {
    'max_attachment_bytes': ('attachment(s) cut', 'bytes per attachment'),
    'max_test_attachment_bytes': ('attachment(s) cut', 'attachment bytes per test'),
    'max_test_attachments': ('test(s) with attachments left out', 'attachments per test'),
    'max_run_details_bytes': ('attachment(s) cut', 'attachment bytes per run'),
    'max_id_chars': ('test id(s) cut', 'characters per id'),
    'max_message_chars': ('failure message(s) or skip reason(s) cut',
                          'characters per message'),
}


def cut_warnings(cuts, limits):
    """One warning line per kind of cut, with its count."""
    lines = []
    for setting, count in cuts.items():
        what, unit = _CUT_WHAT[setting]
        lines.append('%d %s at %s=%d %s (marked "[stackviz: ...]")' % (
            count, what, limits_mod.flag(setting), getattr(limits, setting), unit))
    return lines


def _traceback(details):
    text = details.get('traceback')
    if text is None:
        for key, value in details.items():
            if 'traceback' in key.lower():
                return value
        return ''
    return text
