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

"""Publish real subunit streams from other projects (read from the shared folder)."""
import gzip
import os
import shutil

import pytest

from tests.unit.test_publish import config
from tests.unit.test_publish import run_cli
from tests.unit.test_publish import site  # noqa: F401 (fixture)

SHARED = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))), 'shared', 'data', 'subunit')
SHARED = os.environ.get('STACKVIZ_SHARED_SUBUNIT', SHARED)

pytestmark = pytest.mark.skipif(not os.path.isdir(SHARED),
                                reason='shared subunit streams absent: %s' % SHARED)


def test_devstack_gate_folder_of_real_streams(tmp_path, site):  # noqa: F811
    logs = tmp_path / 'logs'
    # A v1 stream saved gzipped as devstack-gate did, and the same run as v2 elsewhere.
    os.makedirs(str(logs / 'tacker'))
    with open(os.path.join(SHARED, 'tacker-stestr-16.v1.subunit'), 'rb') as src, \
            gzip.open(str(logs / 'testrepository.subunit.gz'), 'wb') as dst:
        shutil.copyfileobj(src, dst)
    shutil.copy(os.path.join(SHARED, 'tacker-stestr-16.v2.subunit'),
                str(logs / 'tacker' / 'tacker.subunit'))
    shutil.copy(os.path.join(SHARED, 'stestr-sample-all_skips.subunit'), str(logs))
    code, out, err = run_cli([str(logs), '--strict', '--gzip'], environ={})
    assert code == 0, err
    lines = {line.split(':')[0]: line.split(': ', 1)[1] for line in out.splitlines()[1:]}
    assert set(lines) == {'testrepository.subunit.gz', 'tacker.subunit',
                          'stestr-sample-all_skips.subunit'}
    # v1 and v2 copies of one run agree.
    assert lines['testrepository.subunit.gz'] == lines['tacker.subunit']
    assert lines['tacker.subunit'].startswith('502 tests, 4 failures, 180 skips, ')
    assert len([a for d in config(str(logs))['datasets'] for a in d['artifacts']
                if a['artifact_type'] == 'stackviz-timeline']) == 3
