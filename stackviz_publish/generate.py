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

"""Generate Tempest-like subunit v2 streams and dstat CSV logs for tests and benchmarks.

The streams are written with python-subunit's ``StreamResultToBytes``, the way
stestr writes them: an ``inprogress`` packet when a test starts, attachment chunks
(interleaved across workers), then a final status packet carrying the ``worker-N``
tag. Everything is derived from ``seed``: the same arguments give the same bytes.

    python -m stackviz_publish.generate stream --tests 2000 --workers 4 OUT.subunit
    python -m stackviz_publish.generate dstat --start 2018-09-28T02:46:35 --seconds 600 OUT
"""
import argparse
import datetime
import gzip
import heapq
import random
import sys
import uuid

from subunit import v2

UTC = datetime.timezone.utc
DEFAULT_START = datetime.datetime(2018, 9, 28, 2, 46, 35, 626800, tzinfo=UTC)
# The largest file chunk we put in one packet (subunit v2 packets stop at 4 MiB).
CHUNK = 1 << 20

_AREAS = (
    ('compute', ('servers', 'admin', 'flavors', 'images', 'keypairs', 'volumes')),
    ('network', ('ports', 'routers', 'subnets', 'security_groups', 'floating_ips')),
    ('volume', ('snapshots', 'backups', 'qos', 'volume_types')),
    ('identity', ('users', 'projects', 'roles', 'tokens')),
    ('image', ('images', 'members', 'tags')),
    ('object_storage', ('container', 'object', 'account')),
)
_VERBS = ('create', 'list', 'show', 'update', 'delete', 'rebuild', 'resize', 'attach',
          'detach', 'get', 'set', 'reset', 'lock', 'unlock', 'shelve', 'migrate')
_NOUNS = ('server', 'port', 'volume', 'snapshot', 'image', 'user', 'role', 'metadata',
          'quota', 'flavor', 'network', 'router', 'keypair', 'token', 'container')
_LOG_SOURCES = ('tempest.lib.common.rest_client', 'tempest.common.waiters',
                'tempest.lib.common.ssh', 'tempest.common.compute')
_METHODS = ('GET', 'POST', 'PUT', 'DELETE', 'HEAD')
_EXCEPTIONS = (
    'tempest.lib.exceptions.TimeoutException: Request timed out\n'
    'Details: (ServersTestJSON:test_create) Server {uid} failed to reach ACTIVE status '
    'and task state "None" within the required time (196 s). Current status: BUILD.',
    'testtools.matchers._impl.MismatchError: 404 != 200',
    'tempest.lib.exceptions.NotFound: Object not found\n'
    'Details: {{"itemNotFound": {{"message": "Volume {uid} could not be found.", '
    '"code": 404}}}}',
    'tempest.lib.exceptions.ServerFault: Got server fault\n'
    'Details: Unexpected API Error. Please report this at the bug tracker.',
)
_SKIP_REASONS = (
    'Feature not enabled in the deployment: {what}',
    'Skipped until bug 1{num} is resolved.',
    'Not enough hosts available for {what}',
)
# Hostile content: the viewer must show it as text, never as markup.
HOSTILE_NAME = 'tempest.api.hostile.test_markup.<img src=x onerror=alert(1)>'
HOSTILE_LOG = ('</script><script>alert("log")</script>\n'
               '<b onmouseover=alert(2)>bold</b> & "quotes" \'single\'\n')


def _test_ids(rng, count):
    """Tempest-style ids: module.Class.test_method[id-<uuid>,smoke]."""
    ids = []
    while len(ids) < count:
        area, subs = rng.choice(_AREAS)
        sub = rng.choice(subs)
        cls = ''.join(w.title() for w in sub.split('_')) + rng.choice(
            ('TestJSON', 'AdminTestJSON', 'NegativeTestJSON', 'V2Test'))
        module = 'tempest.api.%s.%s.test_%s_%d' % (area, sub, sub, rng.randrange(40))
        for _ in range(rng.randrange(3, 12)):
            name = 'test_%s_%s' % (rng.choice(_VERBS), rng.choice(_NOUNS))
            tag = ',smoke' if rng.random() < 0.1 else ''
            uid = uuid.UUID(int=rng.getrandbits(128), version=4)
            ids.append('%s.%s.%s_%d[id-%s%s]' % (module, cls, name, len(ids), uid, tag))
    return ids[:count]


def _log_lines(rng):
    """A pool of plausible log lines; tests draw from it (fast, and compressible like
    real logs)."""
    lines = []
    for i in range(400):
        level = rng.choice(('INFO', 'INFO', 'INFO', 'DEBUG', 'WARNING'))
        req = uuid.UUID(int=rng.getrandbits(128), version=4)
        source = rng.choice(_LOG_SOURCES)
        if level == 'DEBUG':
            msg = ('Request - Headers: {"Content-Type": "application/json", '
                   '"X-Auth-Token": "<omitted>"}\n        Body: None\n    '
                   'Response - Headers: {"status": "200", "content-length": "%d"}'
                   % rng.randrange(100, 9000))
        else:
            msg = 'Request (%s): %d %s https://10.0.0.%d:8774/v2.1/%s/%x %.3fs' % (
                rng.choice(('ServersTestJSON:test_x', 'PortsTestJSON:setUpClass')),
                rng.choice((200, 200, 201, 202, 204, 404)), rng.choice(_METHODS),
                rng.randrange(2, 250), rng.choice(_NOUNS), rng.getrandbits(64),
                rng.random() * 3)
        lines.append(' %d %s %s [req-%s ] %s\n' % (12000 + i, level, source, req, msg))
    return lines


def _log(rng, pool, when, size):
    out = []
    total = 0
    while total < size:
        line = '%s.%03d%s' % (when.strftime('%Y-%m-%d %H:%M:%S'), rng.randrange(1000),
                              rng.choice(pool))
        out.append(line)
        total += len(line)
    return ''.join(out).encode('utf-8')


# The cause of --same-cause failures: one import that broke many tests. Its numbers,
# id and quoted values change from test to test, as a real repeated failure's do.
SAME_CAUSE = ('ImportError: cannot import name \'wait_for_server_status_{num}\' from '
              '\'tempest.common.waiters\' (request req-{uid}, attempt {num})')


def _traceback(rng, test_id, same_cause=False):
    exc = SAME_CAUSE if same_cause else rng.choice(_EXCEPTIONS)
    exc = exc.format(uid=uuid.UUID(int=rng.getrandbits(128)), num=rng.randrange(1, 999))
    method = test_id.rsplit('.', 1)[-1].split('[')[0]
    return ('Traceback (most recent call last):\n'
            '  File "/opt/stack/tempest/tempest/api/base.py", line %d, in %s\n'
            '    self.client.wait_for_resource(body["id"])\n'
            '  File "/opt/stack/tempest/tempest/common/waiters.py", line 96, in wait_for\n'
            '    raise lib_exc.TimeoutException(message)\n%s\n'
            % (rng.randrange(40, 400), method, exc)).encode('utf-8')


def _plan(rng, tests, fail_rate, skip_rate, hostile, same_cause=0):
    """The list of (test_id, status, kind) to run, in queue order."""
    ids = _test_ids(rng, max(tests, 4))[:tests]
    plan = []
    for i, test_id in enumerate(ids):
        r = rng.random()
        status = 'fail' if r < fail_rate else 'skip' if r < fail_rate + skip_rate \
            else 'success'
        plan.append([test_id, status, 'test'])
    if tests >= 20:
        # Two ids that differ only in their [id-...] suffix: they collide after the
        # classic name cleaning.
        base = plan[5][0].split('[')[0]
        plan[6][0] = base + '[id-%s]' % uuid.UUID(int=rng.getrandbits(128))
        # A class fixture that failed, named the way testtools names it.
        cls = plan[10][0].split('[')[0].rsplit('.', 1)[0]
        plan[10] = ['setUpClass (%s)' % cls, 'fail', 'fixture']
        plan[12] = ['setUpClass (%s)' % cls.replace('TestJSON', 'V2Test'), 'skip',
                    'fixture']
    if same_cause:
        # Spread over the run, past the special entries above.
        span = len(plan) - 13
        for k in range(min(same_cause, span)):
            plan[13 + k * span // min(same_cause, span)][1:] = ['fail', 'same-cause']
    if hostile:
        plan.insert(min(3, len(plan)), [HOSTILE_NAME, 'fail', 'hostile'])
    return plan


def _duration(rng, kind):
    if kind == 'fixture':
        return rng.uniform(0.0, 0.5)
    return min(rng.lognormvariate(0.0, 1.2), 120.0)


def generate_stream(out, tests=2000, workers=4, fail_rate=0.02, skip_rate=0.05,
                    log_bytes=2048, unfinished=0, seed=0, start=DEFAULT_START,
                    hostile=False, big_attachment=0, same_cause=0, log_hook=None):
    """Write a Tempest-like subunit v2 stream of ``tests`` tests to the binary ``out``.

    ``unfinished`` of the tests start and never finish (the stream ends as a run
    killed by a timeout would). ``big_attachment`` > 0 gives the first test a log of
    that many bytes. ``same_cause`` more tests fail, all with one cause (an
    ImportError). ``log_hook(test_id, status, start, end)``, when given, returns
    each test's log bytes instead (generate_services: logs naming request ids).
    Returns a summary dict of what was written.
    """
    rng = random.Random(seed)
    pool = _log_lines(rng)
    plan = _plan(rng, tests, fail_rate, skip_rate, hostile, same_cause)
    writer = v2.StreamResultToBytes(out)
    workers = max(1, workers)
    queues = [plan[w::workers] for w in range(workers)]
    n_unfinished = min(unfinished, len(plan))
    # The last tests in queue order are the ones the "timeout" interrupts.
    cut = set(id(p) for p in plan[len(plan) - n_unfinished:]) if n_unfinished else set()
    summary = {'tests': len(plan), 'success': 0, 'fail': 0, 'skip': 0, 'inprogress': 0,
               'workers': workers, 'ids': [], 'start': start.isoformat(), 'end': None}
    # Events: (time, seq, kind, worker, index); popping in time order interleaves the
    # workers' packets as a real parallel run does.
    heap = []
    seq = 0
    for w in range(workers):
        if queues[w]:
            heap.append((start, seq, 'start', w, 0))
            seq += 1
    heapq.heapify(heap)
    running = {}
    last = start
    while heap:
        when, _, event, w, index = heapq.heappop(heap)
        test_id, status, kind = queues[w][index]
        tags = {'worker-%d' % w}
        last = max(last, when)
        if event == 'start':
            writer.status(test_id=test_id, test_status='inprogress', timestamp=when)
            duration = _duration(rng, kind)
            end = when + datetime.timedelta(seconds=duration)
            size = log_bytes if kind != 'fixture' else 0
            if index == 0 and w == 0 and big_attachment:
                size = big_attachment
            if log_hook is not None:
                log = log_hook(test_id, status, when, end) if size else b''
            else:
                log = _log(rng, pool, when, size) if size else b''
            if kind == 'hostile':
                log = HOSTILE_LOG.encode('utf-8') + log
            running[w] = log
            summary['ids'].append(test_id)
            if id(queues[w][index]) in cut:
                # This worker hangs here: half the log made it out, then nothing.
                summary['inprogress'] += 1
                _attach(writer, test_id, "pythonlogging:''", log[:len(log) // 2],
                        'text/plain; charset="utf8"', when, eof=False)
                continue
            heapq.heappush(heap, (when + (end - when) / 2, seq, 'mid', w, index))
            heapq.heappush(heap, (end, seq + 1, 'end', w, index))
            seq += 2
        elif event == 'mid':
            log = running[w]
            _attach(writer, test_id, "pythonlogging:''", log[:len(log) // 2],
                    'text/plain; charset="utf8"', when, eof=False)
        else:
            log = running.pop(w)
            _attach(writer, test_id, "pythonlogging:''", log[len(log) // 2:],
                    'text/plain; charset="utf8"', when, eof=True)
            if status == 'fail':
                _attach(writer, test_id, 'traceback',
                        _traceback(rng, test_id, kind == 'same-cause'),
                        'text/x-traceback; charset="utf8"', when, eof=True)
            elif status == 'skip':
                reason = rng.choice(_SKIP_REASONS).format(
                    what=rng.choice(_NOUNS), num=rng.randrange(100000, 999999))
                _attach(writer, test_id, 'reason', reason.encode('utf-8'),
                        'text/plain; charset="utf8"', when, eof=True)
            writer.status(test_id=test_id, test_status=status, test_tags=tags,
                          timestamp=when)
            summary[status] += 1
            if index + 1 < len(queues[w]):
                gap = datetime.timedelta(seconds=rng.uniform(0.0005, 0.02))
                heapq.heappush(heap, (when + gap, seq, 'start', w, index + 1))
                seq += 1
    summary['end'] = last.isoformat()
    summary['finished'] = summary['success'] + summary['fail'] + summary['skip']
    summary['tests'] = len(summary['ids'])
    return summary


def _attach(writer, test_id, name, data, mime, when, eof):
    if not data and not eof:
        return
    for pos in range(0, max(len(data), 1), CHUNK):
        chunk = data[pos:pos + CHUNK]
        writer.status(test_id=test_id, file_name=name, file_bytes=chunk,
                      mime_type=mime, eof=eof and pos + CHUNK >= len(data),
                      timestamp=when)


DSTAT_GROUPS = (
    ('system', ('time',)),
    ('total cpu usage', ('usr', 'sys', 'idl', 'wai', 'hiq', 'siq')),
    ('memory usage', ('used', 'buff', 'cach', 'free')),
    ('net/total', ('recv', 'send')),
    ('dsk/total', ('read', 'writ')),
    ('load avg', ('1m', '5m', '15m')),
)


def generate_dstat(out, start, seconds, interval=1, seed=0, host='node'):
    """Write a dstat 0.7 CSV log (preamble, group row, column row, one row per
    ``interval`` seconds for ``seconds`` seconds) to the text stream ``out``."""
    rng = random.Random(seed)
    out.write('"Dstat 0.7.2 CSV output"\n')
    out.write('"Author:","Dag Wieers <dag@wieers.com>",,,,'
              '"URL:","http://dag.wieers.com/home-made/dstat/"\n')
    out.write('"Host:","%s",,,,"User:","stack"\n' % host)
    out.write('"Cmdline:","dstat -tcmndl --nocolor --output dstat-csv.log",,,,'
              '"Date:","%s"\n' % start.strftime('%d %b %Y %H:%M:%S UTC'))
    out.write('\n')
    groups = []
    columns = []
    for group, cols in DSTAT_GROUPS:
        groups.extend(['"%s"' % group] + [''] * (len(cols) - 1))
        columns.extend('"%s"' % c for c in cols)
    out.write(','.join(groups) + '\n')
    out.write(','.join(columns) + '\n')
    used = 2.1e9
    load = 1.0
    for i in range(0, seconds, interval):
        when = start + datetime.timedelta(seconds=i)
        usr = rng.uniform(5, 70)
        sys_ = rng.uniform(1, 20)
        wai = rng.uniform(0, 10)
        idl = max(0.0, 100 - usr - sys_ - wai)
        used = min(7.5e9, max(1e9, used + rng.uniform(-5e7, 6e7)))
        load = max(0.0, load + rng.uniform(-0.3, 0.35))
        row = [when.strftime('%d-%m %H:%M:%S'),
               '%.3f' % usr, '%.3f' % sys_, '%.3f' % idl, '%.3f' % wai, '0', '%.3f' % 0.2,
               '%.0f' % used, '%.0f' % 1.5e8, '%.0f' % 2.2e9, '%.0f' % (8e9 - used),
               '%.1f' % rng.uniform(0, 5e6), '%.1f' % rng.uniform(0, 3e6),
               '%.1f' % rng.uniform(0, 4e7), '%.1f' % rng.uniform(0, 6e7),
               '%.2f' % load, '%.2f' % (load * 0.9), '%.2f' % (load * 0.8)]
        out.write(','.join(row) + '\n')


def _parse_time(text):
    when = datetime.datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def main(argv=None, stdout=None):
    stdout = stdout or sys.stdout
    parser = argparse.ArgumentParser(prog='python -m stackviz_publish.generate',
                                     description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='what', required=True)
    stream = sub.add_parser('stream', help='a Tempest-like subunit v2 stream')
    stream.add_argument('--tests', type=int, default=2000)
    stream.add_argument('--workers', type=int, default=4)
    stream.add_argument('--unfinished', type=int, default=0)
    stream.add_argument('--fail-rate', type=float, default=0.02)
    stream.add_argument('--skip-rate', type=float, default=0.05)
    stream.add_argument('--log-bytes', type=int, default=2048)
    stream.add_argument('--big-attachment', type=int, default=0,
                        help='give the first test a log of this many bytes')
    stream.add_argument('--same-cause', type=int, default=0, metavar='N',
                        help='make N tests fail from one cause (an ImportError)')
    stream.add_argument('--seed', type=int, default=0)
    stream.add_argument('--start', type=_parse_time, default=DEFAULT_START)
    stream.add_argument('--hostile', action='store_true',
                        help='add a test whose name and log hold HTML/script markup')
    stream.add_argument('--gzip', action='store_true')
    stream.add_argument('out')
    dstat = sub.add_parser('dstat', help='a dstat 0.7 CSV log')
    dstat.add_argument('--start', type=_parse_time, default=DEFAULT_START)
    dstat.add_argument('--seconds', type=int, default=600)
    dstat.add_argument('--interval', type=int, default=1)
    dstat.add_argument('--seed', type=int, default=0)
    dstat.add_argument('--host', default='node')
    dstat.add_argument('out')
    args = parser.parse_args(argv)
    if args.what == 'stream':
        opener = gzip.open if args.gzip else open
        with opener(args.out, 'wb') as out:
            summary = generate_stream(
                out, tests=args.tests, workers=args.workers, fail_rate=args.fail_rate,
                skip_rate=args.skip_rate, log_bytes=args.log_bytes,
                unfinished=args.unfinished, seed=args.seed, start=args.start,
                hostile=args.hostile, big_attachment=args.big_attachment,
                same_cause=args.same_cause)
        summary.pop('ids')
        stdout.write(' '.join('%s=%s' % kv for kv in sorted(summary.items())) + '\n')
    else:
        with open(args.out, 'w') as out:
            generate_dstat(out, args.start, args.seconds, args.interval, args.seed,
                           args.host)
    return 0


if __name__ == '__main__':
    sys.exit(main())
