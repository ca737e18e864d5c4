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

"""Runs roles/stackviz-publish with ansible-core against localhost (connection local).

Each case is one inventory host with its own variables and generated logs, so a single
ansible-playbook run covers many cases (and is a multinode job as Zuul sees it: one
artifact per host). Zuul's executor-only ``zuul_return`` is replaced by the stand-in in
``action_plugins/``, which merges into $ZUUL_JOB_OUTPUT_FILE.
"""
import json
import os
import re
import shutil
import subprocess
import sys

from tests.unit import publish_fixtures as fx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.dirname(sys.executable)
PLAYBOOK = os.path.join(HERE, 'playbook.yaml')
# Modules run on "localhost" with a PATH like a bare node's: no stackviz-publish on it.
NODE_PATH = '/usr/bin:/bin'

ANSIBLE = os.path.join(BIN, 'ansible-playbook')
if not os.path.exists(ANSIBLE):
    ANSIBLE = shutil.which('ansible-playbook')


def publisher():
    """The stackviz-publish of this checkout, as the image would have it."""
    exe = os.path.join(BIN, 'stackviz-publish')
    return exe if os.path.exists(exe) else shutil.which('stackviz-publish')


def on_node_path(name):
    return shutil.which(name, path=NODE_PATH)


def devstack_layout(root, tests=60, dstat=True, damaged=None, **kwargs):
    """devstack: Tempest's stream in {base}/tempest, dstat in {base}/logs; stage = home.

    ``damaged``: bytes to write instead of the stream."""
    base = os.path.join(root, 'opt', 'stack')
    stream = os.path.join(base, 'tempest', 'testrepository.subunit')
    summary = fx.write_stream(stream, tests=tests, **kwargs)
    if damaged is not None:
        with open(stream, 'wb') as f:
            f.write(damaged)
    if dstat:
        fx.write_dstat(os.path.join(base, 'logs', 'dstat-csv.log'))
    home = os.path.join(root, 'home')
    os.makedirs(home)
    return {'devstack_base_dir': base, 'stage_dir': home,
            'zuul_output_dir': os.path.join(home, 'zuul-output')}, summary


def zuul_v3_layout(root, tests=60):
    """Zuul v3: the work folder holds the stream and .stestr; the site goes in the logs."""
    logs, work, summary = fx.zuul_v3(root, tests=tests)
    return {'stage_dir': logs, 'zuul_work_dir': work,
            'zuul_output_dir': os.path.dirname(logs),
            'devstack_base_dir': os.path.join(root, 'no-devstack')}, summary


class Run(object):
    """One ansible-playbook run: its exit status, output, per-host recap and returns."""

    def __init__(self, proc, returned_file):
        self.rc = proc.returncode
        self.output = proc.stdout + proc.stderr
        self.recap = {}
        for host, counts in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', proc.stdout, re.M):
            self.recap[host] = {k: int(v) for k, v in re.findall(r'(\w+)=(\d+)', counts)}
        self.returned = {}
        if os.path.exists(returned_file):
            with open(returned_file) as f:
                self.returned = json.load(f)

    def artifacts(self):
        return self.returned.get('zuul', {}).get('artifacts', [])


def run_role(tmp, hosts, env=None):
    """Run the role on ``hosts`` ({name: vars}); return a Run."""
    inventory = {'all': {'hosts': {}}}
    for name, host_vars in hosts.items():
        host = dict(ansible_connection='local', ansible_python_interpreter=sys.executable)
        host.update(host_vars)
        inventory['all']['hosts'][name] = host
    inv_path = os.path.join(tmp, 'inventory.json')
    with open(inv_path, 'w') as f:
        json.dump(inventory, f)
    returned = os.path.join(tmp, 'zuul-returned.json')
    scratch = os.path.join(tmp, 'scratch')
    os.makedirs(scratch, exist_ok=True)
    environ = {
        'PATH': NODE_PATH, 'HOME': os.path.join(tmp, 'ansible-home'), 'TMPDIR': scratch,
        'LANG': 'C.UTF-8', 'ANSIBLE_ROLES_PATH': os.path.join(REPO, 'roles'),
        'ANSIBLE_ACTION_PLUGINS': os.path.join(HERE, 'action_plugins'),
        'ANSIBLE_LOCAL_TEMP': os.path.join(tmp, 'ansible-local'),
        'ANSIBLE_REMOTE_TEMP': os.path.join(tmp, 'ansible-remote'),
        'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_FORCE_COLOR': '0', 'ANSIBLE_HOST_KEY_CHECKING': '0',
        'ANSIBLE_RETRY_FILES_ENABLED': '0', 'ANSIBLE_FORKS': str(max(len(hosts), 1)),
        'ZUUL_JOB_OUTPUT_FILE': returned,
    }
    for name in ('PIP_INDEX_URL', 'PIP_EXTRA_INDEX_URL', 'PIP_TRUSTED_HOST', 'http_proxy',
                 'https_proxy', 'no_proxy', 'REQUESTS_CA_BUNDLE', 'SSL_CERT_FILE'):
        if name in os.environ:
            environ[name] = os.environ[name]
    environ.update(env or {})
    # -v: each task's result is in the output (the tests read paths from it).
    proc = subprocess.run([ANSIBLE, '-v', '-i', inv_path, PLAYBOOK], env=environ,
                          capture_output=True, text=True, timeout=900, cwd=tmp)
    return Run(proc, returned)
