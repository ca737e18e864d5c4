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

"""Generate a devstack-like job: a Tempest run and the service logs that served it.

Each test's pythonlogging attachment logs the API calls it makes, the way Tempest's
rest_client does (``Request (Class:test): 202 POST http://... 0.512s`` and the
response headers with ``x-openstack-request-id: req-<uuid>``); the services log the
same ids in oslo.log format (``YYYY-MM-DD HH:MM:SS.mmm PID LEVEL logger [req-...]
message``): the API that took the call, and the services it called (nova's
conductor, scheduler and compute, cinder's scheduler and volume, glance and neutron
with the caller's id as global request id). Failed tests get an ERROR record with a
traceback in a service log; filler lines (periodic tasks, multi-line DEBUG records,
non-UTF-8 bytes) bring the logs to the size asked for. Same arguments, same bytes.

    python -m stackviz_publish.generate_services LOGS_DIR --tests 300 --log-mb 20
"""
import argparse
import bisect
import datetime
import gzip
import os
import random
import sys
import uuid

from stackviz_publish import generate

# service -> (process name in the logs, main logger)
SERVICES = {
    'n-api': 'nova.api.openstack.wsgi', 'n-cond': 'nova.conductor.manager',
    'n-sch': 'nova.scheduler.manager', 'n-cpu': 'nova.compute.manager',
    'n-novnc': 'nova.console.websocketproxy', 'placement-api': 'placement.requestlog',
    'c-api': 'cinder.api.openstack.wsgi', 'c-sch': 'cinder.scheduler.manager',
    'c-vol': 'cinder.volume.manager', 'c-bak': 'cinder.backup.manager',
    'g-api': 'glance.api.v2.images', 'q-svc': 'neutron.wsgi', 'q-agt':
    'neutron.plugins.ml2.drivers.openvswitch.agent.ovs_neutron_agent',
    'q-dhcp': 'neutron.agent.dhcp.agent', 'q-l3': 'neutron.agent.l3.agent',
    'q-meta': 'neutron.agent.metadata.agent', 'keystone': 'keystone.server.flask',
    's-proxy': 'swift.proxy.server', 'etcd': 'etcd.server', 'o-api': 'octavia.api',
}
DEFAULT_SERVICES = ('n-api', 'n-cond', 'n-sch', 'n-cpu', 'c-api', 'c-sch', 'c-vol',
                    'g-api', 'q-svc', 'q-agt', 'keystone', 's-proxy')
# Tempest area -> (API service, port, path, services the API calls with the same id,
#                  services called with the id as global request id)
AREAS = {
    'compute': ('n-api', 8774, '/compute/v2.1/servers', ('n-cond', 'n-sch', 'n-cpu'),
                ('g-api', 'q-svc', 'placement-api')),
    'volume': ('c-api', 8776, '/volume/v3/%s/volumes', ('c-sch', 'c-vol'), ()),
    'image': ('g-api', 9292, '/image/v2/images', (), ()),
    'network': ('q-svc', 9696, '/networking/v2.0/ports', ('q-agt', 'q-dhcp', 'q-l3'), ()),
    'identity': ('keystone', 80, '/identity/v3/users', (), ()),
    'object_storage': ('s-proxy', 8080, '/v1/AUTH_%s/container', (), ()),
}
_METHODS = (('GET', 200), ('GET', 200), ('POST', 202), ('PUT', 200), ('DELETE', 204))
_TRACE = ('Traceback (most recent call last):',
          '  File "/opt/stack/%s/%s/manager.py", line %d, in _do_request',
          '    result = self.driver.%s(context, resource)',
          '  File "/usr/local/lib/python3.10/dist-packages/oslo_messaging/rpc/server.py", '
          'line 165, in _process_incoming',
          '    res = self.dispatcher.dispatch(message)',
          '%s.exception.%s: %s')
TEMPEST_PID = 4711


def _uuid(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


class _Clock:
    """oslo.log timestamps (``2018-09-28 02:46:35.626``) or a journal export's
    (``Sep 28 02:46:35.626543``), the second's text cached."""

    def __init__(self, journal=False):
        self._second = None
        self._text = ''
        self._format = '%b %d %H:%M:%S' if journal else '%Y-%m-%d %H:%M:%S'
        self._fraction = '%s.%06d' if journal else '%s.%03d'
        self._scale = 1000000 if journal else 1000

    def __call__(self, when):
        second = int(when)
        if second != self._second:
            self._second = second
            self._text = datetime.datetime.fromtimestamp(
                second, datetime.timezone.utc).strftime(self._format)
        return self._fraction % (self._text, int((when - second) * self._scale))


class _Job:
    """Request records of every service, collected while the Tempest run is made."""

    def __init__(self, rng, services):
        self.rng = rng
        self.services = set(services)
        # (time, "LEVEL logger [context] message"): the writer adds time and source
        self.records = {name: [] for name in services}
        self.requests = {}       # test id -> request ids its log names
        self.failed = []
        self.pids = {name: 1000 + 97 * i for i, name in enumerate(sorted(services))}
        self.clock = _Clock()

    def emit(self, service, when, level, logger, context, message):
        if service in self.services:
            self.records[service].append(
                (when, '%s %s [%s] %s' % (level, logger, context, message)))

    def test_log(self, test_id, status, start, end):
        """A test's pythonlogging: a few API calls, each served by the services."""
        rng = self.rng
        area = test_id.split('.')[2] if test_id.startswith('tempest.api.') else 'compute'
        api, port, path, callees, globals_ = AREAS.get(area, AREAS['compute'])
        cls, _, method = test_id.split('[')[0].rpartition('.')
        label = '%s:%s' % (cls.rpartition('.')[2] or cls, method)
        t0, t1 = start.timestamp(), end.timestamp()
        calls = rng.randrange(2, 7)
        lines, ids = [], []
        user = 'tempest-%s-%d' % (label.split(':')[0], rng.randrange(10 ** 8))
        for i in range(calls):
            when = t0 + (t1 - t0) * (i + rng.random()) / calls
            req = 'req-' + _uuid(rng)
            ids.append(req)
            verb, code = rng.choice(_METHODS)
            took = rng.uniform(0.01, 0.8)
            url = 'http://10.0.0.5:%d%s' % (port, path % user if '%s' in path else path)
            if status == 'fail' and i == calls - 1:
                code = 500
            lines.append(self._tempest_lines(when, req, label, code, verb, url, took, area))
            called = globals_
            if area == 'compute' and rng.random() < 0.4:
                called += ('c-api', 'c-vol')    # a volume attached to a server
            self._serve(api, callees, called, when, req, user, verb, url, code, took,
                        failed=status == 'fail' and i == calls - 1)
        if status == 'fail':
            self.failed.append(test_id)
            # Trouble on the node while the test ran, logged by no request of its own.
            when = t0 + (t1 - t0) * rng.random()
            self.emit('n-cpu', when, 'ERROR', 'oslo_service.periodic_task', '-',
                      'Error during ComputeManager._sync_power_states: libvirt '
                      'connection lost')
        self.requests[test_id] = ids
        return ''.join(lines).encode('utf-8')

    def _tempest_lines(self, when, req, label, code, verb, url, took, area):
        stamp = self.clock(when)
        compute = ", 'x-compute-request-id': '%s'" % req if area == 'compute' else ''
        return ('%s %d INFO tempest.lib.common.rest_client [%s ] Request (%s): %d %s %s '
                '%.3fs\n%s %d DEBUG tempest.lib.common.rest_client [%s ] Request - Headers:'
                " {'Content-Type': 'application/json', 'Accept': 'application/json', "
                "'X-Auth-Token': '<omitted>'}\n        Body: None\n    Response - Headers: "
                "{'status': '%d', 'content-type': 'application/json', "
                "'x-openstack-request-id': '%s'%s, 'connection': 'close'}\n        Body: "
                "b'{}'\n" % (stamp, TEMPEST_PID, req, label, code, verb, url, took, stamp,
                             TEMPEST_PID, req, code, req, compute))

    def _serve(self, api, callees, globals_, when, req, user, verb, url, code, took,
               failed):
        rng = self.rng
        ctx = '%s %s %s' % (req, user, user)
        logger = SERVICES[api]
        self.emit(api, when, 'DEBUG', logger, ctx,
                  'Action: %r, calling method: create, body: {\n    "resource": {\n'
                  '        "name": "%s-%d"\n    }\n}' % (verb.lower(), user, rng.randrange(99)))
        step = took / (len(callees) + len(globals_) + 2)
        at = when + step
        for callee in callees:
            self.emit(callee, at, 'INFO', SERVICES[callee], ctx,
                      'Handling request for %s' % url.rsplit('/', 1)[-1])
            at += step
        for callee in globals_:
            self.emit(callee, at, 'INFO', SERVICES[callee],
                      'req-%s %s' % (_uuid(rng), ctx),
                      '10.0.0.5 "GET /v2/resource HTTP/1.1" status: 200 len: 512')
            at += step
        if failed:
            where = callees[-1] if callees else api
            self._traceback(where, at, ctx)
        self.emit(api, when + took, 'INFO', logger.rsplit('.', 1)[0] + '.server', ctx,
                  '10.0.0.5 "%s %s HTTP/1.1" status: %d len: %d time: %.7f'
                  % (verb, url.split(':', 2)[-1].partition('/')[2], code,
                     rng.randrange(100, 4000), took))

    def _traceback(self, service, when, ctx):
        """An exception logged by oslo.log: every line carries the ERROR prefix, only
        the first the request's context."""
        project = service.split('-')[0]
        project = {'n': 'nova', 'c': 'cinder', 'g': 'glance', 'q': 'neutron'}.get(
            project, project)
        logger = SERVICES[service]
        error = ('VolumeBackendAPIException' if project == 'cinder' else 'ResourceFailure')
        self.emit(service, when, 'ERROR', logger, ctx, 'Failed to process the request: '
                  '%s: Unexpected error' % error)
        lines = [text % args for text, args in zip(_TRACE, (
            (), (project, project, self.rng.randrange(100, 3000)), ('process',), (), (),
            (project, error, 'Unexpected error')))]
        if service in self.services:
            self.records[service] += [(when, 'ERROR %s %s' % (logger, line))
                                      for line in lines]


def _filler_pool(rng, service, size=300):
    """Lines a service logs on its own: periodic tasks, locks, multi-line DEBUG records,
    a few with bytes that are not UTF-8 (surrogate-escaped here, raw bytes on disk)."""
    logger = SERVICES[service]
    pool = []
    for i in range(size):
        req = 'req-' + _uuid(rng)
        kind = i % 10
        if kind < 5:
            text = ('DEBUG oslo_concurrency.lockutils [%s - - - - -] Lock "compute_resources" '
                    'acquired by "%s._update_available_resource" :: waited 0.000s'
                    % (req, logger))
        elif kind < 7:
            text = ('DEBUG oslo_service.periodic_task [%s - - - - -] Running periodic task '
                    '%s._heal_%d' % (req, logger, i))
        elif kind == 7:
            text = ('DEBUG %s [%s - - - - -] Inventory: {\n    "VCPU": {"total": 8},\n    '
                    '"MEMORY_MB": {"total": 7961}\n}' % (logger, req))
        elif kind == 8:
            text = ('INFO %s [None %s admin admin] Device name d\udce9v\udcff-%d not '
                    'decodable' % (logger, req, i))
        else:
            text = 'WARNING %s [-] Heartbeat took %.2fs' % (logger, rng.uniform(1, 9))
        pool.append(text)
    return pool


def _source(service, pid, journal):
    """What a line carries after its time: the PID, or the journal's host, unit, PID."""
    if journal:
        return ' devstack devstack@%s.service[%d]: ' % (service, pid)
    return ' %d ' % pid


def _write_service(path, records, pool, rng, source, start, end, target_bytes, gzipped,
                   journal=False):
    """Merge the service's request records with filler lines, in time order."""
    clock = _Clock(journal)
    records.sort(key=lambda r: r[0])
    times = [r[0] for r in records]
    avg = sum(len(p) for p in pool) / len(pool) + 30
    lines_wanted = max(1, target_bytes / avg)
    mean_gap = (end - start) / lines_wanted
    opener = (lambda p: gzip.open(p, 'wb', compresslevel=6)) if gzipped else \
        (lambda p: open(p, 'wb'))
    written = 0
    with opener(path) as out:
        buf = []
        size = 0
        when = start
        index = 0
        while when < end or index < len(records):
            when += rng.expovariate(1.0 / mean_gap) if when < end else 1e9
            stop = bisect.bisect_right(times, when)
            for at, text in records[index:stop]:
                buf.append(clock(at) + source + text + '\n')
            index = max(index, stop)
            if when < end:
                buf.append(clock(when) + source + rng.choice(pool) + '\n')
            if len(buf) >= 4096:
                chunk = ''.join(buf).encode('utf-8', 'surrogateescape')
                out.write(chunk)
                size += len(chunk)
                buf = []
        chunk = ''.join(buf).encode('utf-8', 'surrogateescape')
        out.write(chunk)
        written = size + len(chunk)
    return written


def generate_job(logs_dir, tests=300, workers=4, fail_rate=0.05, skip_rate=0.05,
                 unfinished=1, seed=0, services=DEFAULT_SERVICES, log_bytes=20 << 20,
                 layout='devstack', gzipped=True, start=generate.DEFAULT_START,
                 extras=True, journal=None):
    """Write a Tempest run and its service logs into ``logs_dir``; return a summary:
    ``requests`` (test id -> request ids its log names), ``failed``, ``unfinished``
    (test ids), ``files`` (paths written), ``log_bytes`` (uncompressed).

    layout ``devstack``: logs/testrepository.subunit.gz and logs/screen-<svc>.txt[.gz];
    ``zuul``: testrepository.subunit.gz and controller/logs/screen-<svc>.txt[.gz],
    written as journal exports unless ``journal`` is False (today's devstack).
    ``extras`` adds screen-dstat.txt (a log that is not oslo.log, as devstack had)."""
    journal = layout == 'zuul' if journal is None else journal
    rng = random.Random(seed)
    job = _Job(rng, services)
    if layout == 'devstack':
        stream_path = os.path.join(logs_dir, 'logs', 'testrepository.subunit.gz')
        svc_dir = os.path.join(logs_dir, 'logs')
    else:
        stream_path = os.path.join(logs_dir, 'testrepository.subunit.gz')
        svc_dir = os.path.join(logs_dir, 'controller', 'logs')
    os.makedirs(os.path.dirname(stream_path), exist_ok=True)
    os.makedirs(svc_dir, exist_ok=True)
    with gzip.open(stream_path, 'wb', compresslevel=6) as out:
        run = generate.generate_stream(
            out, tests=tests, workers=workers, fail_rate=fail_rate, skip_rate=skip_rate,
            unfinished=unfinished, seed=seed, start=start, log_hook=job.test_log)
    t0 = start.timestamp() - 60
    t1 = datetime.datetime.fromisoformat(run['end']).timestamp() + 30
    files, total = [], 0
    for name in services:
        path = os.path.join(svc_dir, 'screen-%s.txt%s' % (name, '.gz' if gzipped else ''))
        total += _write_service(path, job.records.pop(name), _filler_pool(rng, name), rng,
                                _source(name, job.pids[name], journal), t0, t1,
                                log_bytes // len(services), gzipped, journal)
        files.append(path)
    if extras:
        with open(os.path.join(svc_dir, 'screen-dstat.txt'), 'w') as out:
            out.write('----system---- --total-cpu-usage--\n     time     |usr sys idl\n')
            out.write('28-09 02:46:35|  5   2  93\n' * 50)
    return {'stream': stream_path, 'files': files, 'log_bytes': total,
            'requests': job.requests, 'failed': job.failed, 'run': run}


def main(argv=None, stdout=None):
    stdout = stdout or sys.stdout
    parser = argparse.ArgumentParser(prog='python -m stackviz_publish.generate_services',
                                     description=__doc__.split('\n')[0])
    parser.add_argument('logs_dir')
    parser.add_argument('--tests', type=int, default=300)
    parser.add_argument('--workers', type=int, default=4)
    parser.add_argument('--fail-rate', type=float, default=0.05)
    parser.add_argument('--unfinished', type=int, default=1)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--log-mb', type=float, default=20,
                        help='service log text to write, in MB (uncompressed)')
    parser.add_argument('--services', type=int, default=len(DEFAULT_SERVICES),
                        help='how many service logs (up to %d)' % len(SERVICES))
    parser.add_argument('--layout', choices=('devstack', 'zuul'), default='devstack')
    parser.add_argument('--plain', action='store_true', help='do not gzip the logs')
    args = parser.parse_args(argv)
    names = list(DEFAULT_SERVICES) + [s for s in SERVICES if s not in DEFAULT_SERVICES]
    summary = generate_job(args.logs_dir, tests=args.tests, workers=args.workers,
                           fail_rate=args.fail_rate, unfinished=args.unfinished,
                           seed=args.seed, services=names[:args.services],
                           log_bytes=int(args.log_mb * (1 << 20)), layout=args.layout,
                           gzipped=not args.plain)
    stdout.write('%d tests, %d service logs, %.1f MB of log text\n' % (
        summary['run']['tests'], len(summary['files']), summary['log_bytes'] / 1048576))
    return 0


if __name__ == '__main__':
    sys.exit(main())
