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

"""Test stand-in for Zuul's executor-only ``zuul_return`` action.

Zuul keeps what jobs return in a JSON file on the executor; this stand-in merges the
task's ``data`` into the file named by $ZUUL_JOB_OUTPUT_FILE the same way: dicts merge
key by key, and ``zuul.artifacts`` lists are concatenated (new entries first), so each
host's artifact is kept. Written for these tests, not taken from Zuul.
"""
import json
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase


def merge(new, old):
    """Merge dict ``new`` into dict ``old`` (nested dicts merge; other values replace)."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(old.get(key), dict):
            merge(value, old[key])
        else:
            old[key] = value
    return old


def merge_returned(new, old):
    artifacts = list(new.get('zuul', {}).get('artifacts', []))
    artifacts += old.get('zuul', {}).get('artifacts', [])
    merge(new, old)
    if artifacts:
        old.setdefault('zuul', {})['artifacts'] = artifacts
    return old


class ActionModule(ActionBase):
    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        path = os.environ.get('ZUUL_JOB_OUTPUT_FILE')
        if not path:
            raise AnsibleActionFail('ZUUL_JOB_OUTPUT_FILE is not set')
        data = self._task.args.get('data') or {}
        if not isinstance(data, dict):
            raise AnsibleActionFail('zuul_return: data must be a mapping')
        stored = {}
        if os.path.exists(path):
            with open(path) as f:
                stored = json.load(f)
        # ansible-core may hand over its own string and mapping types: store plain JSON.
        merge_returned(json.loads(json.dumps(data)), stored)
        tmp_path = path + '.tmp'
        with open(tmp_path, 'w') as f:
            json.dump(stored, f)
        os.rename(tmp_path, path)
        result['changed'] = False
        return result
