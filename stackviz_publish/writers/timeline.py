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

"""A run's timeline (format v2): its tests in columns, and the id index
(see doc/source/data-format.rst, "Timeline" and "Id index").

The ids are written as a table of prefixes (``pkg.module.Class.``) and each id's
rest: the rests go straight into the timeline's data script as tests arrive, in one
JSON string; every other column is a compact ``array`` (a few bytes a test), written
out when the run closes.
"""
from array import array
import datetime
import json
import os
from zlib import crc32

from stackviz_publish import format as data_format
from stackviz_publish.writers.datascript import DataScript
from stackviz_publish.writers.datascript import write_script

STATUS_INDEX = {status: i for i, status in enumerate(data_format.STATUSES)}
NULL = -(1 << 63)     # no timestamp
BLOCK = 1 << 15       # array items joined at a time when the run closes
ID_BATCH = 1024       # ids joined at a time as they come (fewer writes)...
LONG_ID = 1024        # ...or at once after a long one (what is held stays small)
# The prefix table's bounds (hostile ids: one prefix each): past them, an id whose
# prefix is not in the table is written whole (prefix 0, the empty one).
MAX_PREFIXES = 1 << 16
MAX_PREFIX_CHARS = 1 << 20
IDS_ENCODING = 'prefixed'
# What a test costs in the timeline beyond its id, its tags and a worker number of
# more than 6 digits, and in the id index: at most 90 characters of numbers, less
# than 128 once compressed and base64-encoded.
TEST_COST = 128

_EPOCH = datetime.datetime(1970, 1, 1)


class _Stamps:
    """ISO 8601 timestamps as the model writes them (``YYYY-MM-DDTHH:MM:SS.ffffff+00:00``)
    -> microseconds since the epoch. A test's start and end, and consecutive tests,
    mostly share a few seconds: their values are kept."""

    def __init__(self):
        self._seconds = {}

    def micros(self, stamp):
        if stamp is None:
            return NULL
        seconds = self._seconds.get(stamp[:19])
        if seconds is None:
            moment = datetime.datetime.fromisoformat(stamp)
            if moment.utcoffset():
                return _micros_of(moment)
            if len(self._seconds) > 4096:
                self._seconds.clear()
            seconds = self._seconds[stamp[:19]] = int((moment.replace(
                microsecond=0, tzinfo=None) - _EPOCH).total_seconds())
        return seconds * 1000000 + int(stamp[20:26])


def _micros_of(moment):
    delta = moment - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds


class Timeline:
    """The columns of one run's tests, in the order they are added."""

    def __init__(self, data_dir, rel_path, encoding, background=None):
        self.script = DataScript(data_dir, rel_path, encoding, background)
        self.script.write('{"format_version": %d, "ids": {"encoding": "%s", "rest": "' % (
            data_format.FORMAT_VERSION, IDS_ENCODING))
        self.count = 0
        self.status = array('b')
        self.worker = array('i')
        self.big_workers = {}       # index -> a worker number past 32 bits
        self.start = array('q')
        self.end = array('q')
        self.tags = array('i')
        self.tag_sets = {}
        self.unfinished = array('i')
        self.guessed = array('i')
        self.hashes = array('I')
        self.prefixes = {'': 0}     # prefix (JSON string body) -> its index in the table
        self._prefix_chars = 0
        self.prefix = array('H')    # each test's prefix (MAX_PREFIXES fit in 16 bits)
        self.length = array('I')    # each test's rest, in UTF-16 code units (as JS counts)
        self._ids = []              # ids (as JSON) not yet handed to the script
        self._stamps = _Stamps()

    def add(self, key, entry, stamps=None):
        """One test: ``key`` is its id as a JSON string, ``entry`` its raw.json entry;
        ``stamps``: its start and end in microseconds since the epoch (None: none), as
        the model had them before writing them as ISO 8601 (else read back from it)."""
        index = self.count
        self.count = index + 1
        ids = self._ids
        ids.append(key)
        if len(ids) >= ID_BATCH or len(key) > LONG_ID:
            self._flush_ids()
        self.status.append(STATUS_INDEX[entry['status']])
        worker = entry['worker']
        if worker is None:
            self.worker.append(-1)
        else:
            try:
                self.worker.append(worker)
            except OverflowError:
                self.worker.append(-1)
                self.big_workers[index] = worker
        if stamps is None:
            start, end = entry['timestamps']
            micros = self._stamps.micros
            self.start.append(micros(start))
            self.end.append(micros(end))
        else:
            start, end = stamps
            self.start.append(NULL if start is None else start)
            self.end.append(NULL if end is None else end)
        tags = tuple(entry['tags'])
        tag_set = self.tag_sets.get(tags)
        if tag_set is None:
            tag_set = self.tag_sets[tags] = len(self.tag_sets)
        self.tags.append(tag_set)
        if len(entry) > 8:
            if entry.get('unfinished'):
                self.unfinished.append(index)
            if entry.get('worker_guessed'):
                self.guessed.append(index)
        test_id = entry['id']
        try:   # id_hash, without its call for the usual id
            self.hashes.append(crc32(test_id.encode('utf-8')))
        except UnicodeEncodeError:
            self.hashes.append(data_format.id_hash(test_id))

    def _new_prefix(self, text):
        """The number of a new prefix, or 0 (none) when the table is full."""
        if len(self.prefixes) >= MAX_PREFIXES or self._prefix_chars + len(text) > MAX_PREFIX_CHARS:
            return 0
        self._prefix_chars += len(text)
        number = self.prefixes[text] = len(self.prefixes)
        return number

    def _flush_ids(self):
        """Hand the ids added since the last call to the script: each one's prefix (up
        to the last ``.`` before any ``[``) by number, its rest into the script's
        string. Cut in the ids' JSON text: escapes hold no ``.`` nor ``[``, so the
        cut is the same, and the table holds prefixes as JSON string bodies."""
        ids = self._ids
        if not ids:
            return
        # (Whole lists at a time: half the cost of a loop over the ids.) A key without
        # a dot is cut at 1, its prefix the empty one, 0.
        cuts = [key.rfind('.', 0, key.find('[')) + 1 or 1 for key in ids]
        get = self.prefixes.get
        numbers = [get(key[1:cut]) for key, cut in zip(ids, cuts)]
        if None in numbers:
            for i, number in enumerate(numbers):
                if number is None:
                    head = ids[i][1:cuts[i]]
                    number = numbers[i] = get(head) or self._new_prefix(head)
                    if not number:
                        cuts[i] = 1
        rests = [key[cut:-1] for key, cut in zip(ids, cuts)]
        text = ''.join(rests)
        if '\\' in text:
            # An escape starts with a backslash: without one, a character a unit.
            self.length.extend([_js_length(rest) if '\\' in rest else len(rest)
                                for rest in rests])
        else:
            self.length.extend(map(len, rests))
        self.prefix.extend(numbers)
        self.script.write(text)
        self._ids = []

    def origin(self, run_start):
        """Microseconds of the earliest timestamp: the run's start (ISO 8601, or
        None), or an earlier test's."""
        found = [_least(column) for column in (self.start, self.end)]
        if run_start is not None:
            found.append(self._stamps.micros(run_start))
        found = [value for value in found if value is not None]
        return min(found) if found else None

    def close(self, run_start, shards_path, shard_starts):
        """Write the columns and finish the script; return its bytes."""
        self._flush_ids()
        origin = self.origin(run_start)
        write = self.script.write
        write('", "prefixes": [%s], "prefix": [' % ', '.join(
            '"%s"' % prefix for prefix in self.prefixes))
        _write_ints(write, self.prefix)
        write('], "length": [')
        _write_ints(write, self.length)
        write(']}, "count": %d, "origin": %s' % (
            self.count, 'null' if origin is None else '"%s"' % _iso(origin)))
        write(', "status": [')
        _write_ints(write, self.status)
        write('], "worker": [')
        if self.big_workers:
            workers = list(self.worker)
            for index, worker in self.big_workers.items():
                workers[index] = worker
            _write_ints(write, workers)
        else:
            _write_ints(write, self.worker)
        for name in ('start', 'end'):
            write('], "%s": [' % name)
            _write_stamps(write, getattr(self, name), origin or 0)
        write('], "tag_sets": [')
        write(', '.join('[%s]' % ', '.join(data_format.json_string(tag) for tag in tags)
                        for tags in self.tag_sets))
        write('], "tags": [')
        _write_ints(write, self.tags)
        write('], "unfinished": [')
        _write_ints(write, self.unfinished)
        write('], "worker_guessed": [')
        _write_ints(write, self.guessed)
        write('], "shards": {"path": %s, "starts": [%s]}}\n' % (
            data_format.json_string(shards_path), ', '.join(map(str, shard_starts))))
        return self.script.close()


def _js_length(body):
    """Length, in UTF-16 code units (as a JS string counts), of the text a JSON string
    body with escapes stands for."""
    text = json.loads('"%s"' % body)
    return len(text.encode('utf-16-le', 'surrogatepass')) // 2


def _least(column):
    """The least timestamp of a column (None: none)."""
    least = min(column, default=None)
    if least == NULL:   # tests without a time: look past them (rare)
        least = min((v for v in column if v != NULL), default=None)
    return least


def _iso(micros):
    moment = _EPOCH + datetime.timedelta(microseconds=micros)
    return moment.isoformat(timespec='microseconds') + '+00:00'


def _write_ints(write, values):
    for at in range(0, len(values), BLOCK):
        if at:
            write(',')
        write(','.join(map(str, values[at:at + BLOCK])))


def _write_stamps(write, values, origin):
    for at in range(0, len(values), BLOCK):
        if at:
            write(',')
        block = values[at:at + BLOCK]
        if NULL in block:
            write(','.join(['null' if v == NULL else str(v - origin) for v in block]))
        else:
            write(','.join(map(str, map(origin.__rsub__, block))))


def write_id_index(data_dir, rel_dir, hashes, shard_starts, encoding):
    """The id index of a run's tests (``hashes`` in timeline order, the test shards
    starting at ``shard_starts``): buckets of (hash, shard) sorted by hash, then
    shard. Return (bucket count, bytes written)."""
    count = len(hashes)
    buckets = data_format.id_buckets(count)
    os.mkdir(os.path.join(data_dir, rel_dir))
    sizes = [0] * buckets
    for value in hashes:
        sizes[value % buckets] += 1
    offsets, at = [], 0
    for size in sizes:
        offsets.append(at)
        at += size
    # One pass placing (hash << 32 | shard) keys bucket by bucket: 8 bytes a test.
    keys = array('Q', [0]) * count
    fill = list(offsets)
    bounds = list(shard_starts) + [count]
    for shard in range(len(shard_starts)):
        for i in range(bounds[shard], bounds[shard + 1]):
            value = hashes[i]
            bucket = value % buckets
            keys[fill[bucket]] = value << 32 | shard
            fill[bucket] += 1
    total = 0
    for bucket in range(buckets):
        found = sorted(keys[offsets[bucket]:offsets[bucket] + sizes[bucket]])
        text = '{"hash": [%s], "shard": [%s]}' % (
            ','.join([str(key >> 32) for key in found]),
            ','.join([str(key & 0xFFFFFFFF) for key in found]))
        total += write_script(data_dir, os.path.join(rel_dir, '%d.js' % bucket), text,
                              encoding)
    return buckets, total


def read_ids(ids):
    """The ids of a timeline's ``ids`` value: a list (format 2 before the prefixed
    encoding) or the prefixed encoding (the reference reader, for tests and tools).
    Raise ValueError when it is damaged."""
    if isinstance(ids, list):
        return ids
    if not isinstance(ids, dict) or ids.get('encoding') != IDS_ENCODING:
        raise ValueError('unknown ids encoding')
    prefixes, rest = ids['prefixes'], ids['rest']
    if len(ids['prefix']) != len(ids['length']):
        raise ValueError('ids: prefix and length differ in size')
    # Lengths count UTF-16 code units, as a JS string does.
    units = rest.encode('utf-16-le', 'surrogatepass')
    out, at = [], 0
    for prefix, length in zip(ids['prefix'], ids['length']):
        end = at + 2 * length
        if not 0 <= prefix < len(prefixes) or end > len(units):
            raise ValueError('ids: damaged prefix or length')
        out.append(prefixes[prefix] + units[at:end].decode('utf-16-le', 'surrogatepass'))
        at = end
    if at != len(units):
        raise ValueError('ids: rest longer than its lengths')
    return out
