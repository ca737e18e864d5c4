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

"""A publish killed at any moment leaves the previous site or none, never half a site;
and publishing works as an unprivileged user."""
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

from stackviz_publish import atomic_folders
from stackviz_publish.cli import main as cli_main
from stackviz_publish.cli import publish_cmd

from tests.unit import publish_fixtures as fx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NOBODY = 65534


def snapshot(path):
    """{relative path: sha256} of every file under ``path`` (None if it is absent)."""
    if not os.path.lexists(path):
        return None
    out = {}
    for folder, _, files in os.walk(path):
        for name in files:
            full = os.path.join(folder, name)
            with open(full, 'rb') as f:
                out[os.path.relpath(full, path)] = hashlib.sha256(f.read()).hexdigest()
    return out


def complete(path, run_name):
    """True when ``path`` is a whole published site for ``run_name``."""
    try:
        with open(os.path.join(path, 'data', 'config.json')) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        return False
    if not os.path.isfile(os.path.join(path, 'index.html')):
        return False
    arts = [a for d in cfg['datasets'] for a in d['artifacts']]
    if not any(a['artifact_type'] == 'stackviz-timeline' and a['artifact_name'] == run_name
               for a in arts):
        return False
    for art in arts:
        full = os.path.join(path, 'data', art['path'])
        count = art.get('shard_count', art.get('bucket_count'))
        if count is not None:
            shards = [n for n in os.listdir(full) if n.endswith(art['suffix'])]
            if len(shards) != count:
                return False
        elif not os.path.isfile(full):
            return False
    return True


def args_for(logs, *extra):
    return cli_main.build_parser([publish_cmd]).parse_args(['publish', logs] + list(extra))


def publish_in_child(logs, site, checkpoint=None, uid=None):
    """Run a publish in a forked child; return (exit status or -signal, stdout, stderr)."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        code = 70
        try:
            os.close(read_fd)
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            out, err = io.StringIO(), io.StringIO()
            code = publish_cmd.run(args_for(logs), out, err,
                                   environ={'STACKVIZ_SITE': site}, checkpoint=checkpoint)
            os.write(write_fd, json.dumps([out.getvalue(), err.getvalue()]).encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    with os.fdopen(read_fd, 'rb') as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    out, err = json.loads(data) if data else ('', '')
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status), out, err
    return os.WEXITSTATUS(status), out, err


def kill_at(step):
    def checkpoint(name):
        if name == step:
            os.kill(os.getpid(), signal.SIGKILL)
    return checkpoint


@pytest.fixture
def site(tmp_path_factory):
    return fx.write_site(str(tmp_path_factory.mktemp('site')))


# Steps before the swap must leave the old site; steps after it the whole new one.
EXCHANGE_STEPS = [('staged', 'old'), ('site-copied', 'old'), ('exported', 'old'),
                  ('swapped', 'new')]
FALLBACK_STEPS = [('staged', 'old'), ('site-copied', 'old'), ('exported', 'old'),
                  ('moved-aside', 'none'), ('renamed-in', 'new')]


@pytest.mark.parametrize('exchange,step,expect', [(True,) + s for s in EXCHANGE_STEPS]
                         + [(False,) + s for s in FALLBACK_STEPS])
def test_killed_at_each_step(tmp_path, site, monkeypatch, exchange, step, expect):
    if not exchange:
        monkeypatch.setattr(atomic_folders, '_exchange', lambda a, b: False)
    logs = str(tmp_path)
    fx.write_stream(os.path.join(logs, 'old.subunit'), tests=40, seed=1)
    assert publish_in_child(logs, site)[0] == 0
    old = snapshot(os.path.join(logs, 'stackviz'))
    assert complete(os.path.join(logs, 'stackviz'), 'old.subunit')
    os.unlink(os.path.join(logs, 'old.subunit'))
    fx.write_stream(os.path.join(logs, 'new.subunit'), tests=60, seed=2)

    code, _, _ = publish_in_child(logs, site, checkpoint=kill_at(step))
    assert code == -signal.SIGKILL  # the step was reached
    target = os.path.join(logs, 'stackviz')
    if expect == 'old':
        assert snapshot(target) == old
    elif expect == 'none':
        assert not os.path.lexists(target)
    else:
        assert complete(target, 'new.subunit')

    # The next publish cleans what the killed one left and publishes whole.
    code, out, err = publish_in_child(logs, site)
    assert code == 0, err
    assert complete(target, 'new.subunit')
    assert sorted(os.listdir(logs)) == ['new.subunit', 'stackviz']


def test_killed_at_random_moments_by_a_real_signal(tmp_path, site):
    """SIGKILL a real publish process at moments spread over its run time."""
    logs = str(tmp_path / 'logs')
    target = os.path.join(logs, 'stackviz')
    backup = str(tmp_path / 'old-site')
    fx.write_stream(os.path.join(logs, 'old.subunit'), tests=300, seed=1)
    env = dict(os.environ, STACKVIZ_SITE=site, PYTHONPATH=REPO)
    cmd = [sys.executable, '-m', 'stackviz_publish.cli.main', 'publish', logs, '--strict']
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=120)
    old = snapshot(target)
    shutil.copytree(target, backup)
    os.unlink(os.path.join(logs, 'old.subunit'))
    fx.write_stream(os.path.join(logs, 'new.subunit'), tests=3000, seed=2, log_bytes=1024)
    began = time.monotonic()
    subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
    full = time.monotonic() - began
    new = snapshot(target)
    may_vanish = not _exchange_supported(str(tmp_path))
    for fraction in (0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95):
        shutil.rmtree(target)
        shutil.copytree(backup, target)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(full * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        now = snapshot(target)
        assert now == old or (now is not None and _same_site(now, new)) or (
            now is None and may_vanish), fraction
    code = subprocess.run(cmd, env=env, capture_output=True, timeout=300).returncode
    assert code == 0
    assert sorted(os.listdir(logs)) == ['new.subunit', 'stackviz']
    assert complete(target, 'new.subunit')


def _exchange_supported(folder):
    a, b = os.path.join(folder, 'xa'), os.path.join(folder, 'xb')
    os.mkdir(a)
    os.mkdir(b)
    try:
        return atomic_folders._exchange(a, b)
    finally:
        os.rmdir(a)
        os.rmdir(b)


def _same_site(a, b):
    """Two publishes of one input: the same files (config.json may name a new version)."""
    keys = set(a) | set(b)
    return all(a.get(k) == b.get(k) for k in keys if not k.startswith('data/config.'))


def _world_dir():
    """A folder an unprivileged user can reach (pytest's own tmp is private to root)."""
    path = tempfile.mkdtemp(prefix='stackviz-nobody-')
    os.chmod(path, 0o755)
    return path


@pytest.mark.skipif(not hasattr(os, 'fork'), reason='needs fork')
def test_publishes_as_an_unprivileged_user(tmp_path):
    if os.geteuid() != 0:
        # Already unprivileged: run as ourselves.
        uid, root = None, str(tmp_path)
    else:
        uid, root = NOBODY, _world_dir()
    try:
        site = fx.write_site(os.path.join(root, 'site'))
        logs = os.path.join(root, 'logs')
        fx.devstack_gate(root, tests=30)
        if uid is not None:
            for folder, dirs, files in os.walk(logs):
                os.chown(folder, uid, uid)
            for folder, dirs, files in os.walk(root):
                for name in dirs + files:
                    os.chmod(os.path.join(folder, name), 0o755 if name in dirs else 0o644)
        if uid is not None:
            # The interpreter lives under /root here, out of nobody's reach: one publish
            # as root first loads every module and codec, so the child needs no import.
            warm = os.path.join(str(tmp_path), 'warm')
            fx.devstack_gate(warm, tests=5)
            for folder in ('logs', 'missing'):
                publish_cmd.run(args_for(os.path.join(warm, folder)), io.StringIO(),
                                io.StringIO(), environ={'STACKVIZ_SITE': site})
        code, out, err = publish_in_child(logs, site, uid=uid)
        assert code == 0, err
        assert 'published' in out and err == ''
        target = os.path.join(logs, 'stackviz')
        assert complete(target, 'testrepository.subunit.gz')
        if uid is not None:
            assert os.stat(os.path.join(target, 'data', 'config.json')).st_uid == uid
            # A logs folder the user cannot write: one line, exit 0, nothing written.
            locked = os.path.join(root, 'root-logs')
            fx.devstack_gate(locked, tests=5)
            os.chmod(locked, 0o755)
            os.chmod(os.path.join(locked, 'logs'), 0o755)
            code, out, err = publish_in_child(os.path.join(locked, 'logs'), site, uid=uid)
            assert code == 0
            assert err.count('\n') == 1 and 'Permission denied' in err, err
            assert sorted(os.listdir(os.path.join(locked, 'logs'))) == [
                'dstat-csv_log.txt', 'testrepository.subunit.gz']
    finally:
        if uid is not None:
            shutil.rmtree(root, ignore_errors=True)
