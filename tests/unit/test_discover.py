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

import os

from stackviz_publish import discover
from stackviz_publish import readers

from tests.unit import publish_fixtures as fx


def touch(path, data=b''):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def test_devstack_gate_layout_from_workspace(tmp_path):
    logs, _ = fx.devstack_gate(str(tmp_path))
    found = discover.discover(str(tmp_path), looks_like_subunit=readers.looks_like_subunit)
    assert found.subunit == [os.path.join(logs, 'testrepository.subunit.gz')]
    assert found.dstat == [('primary', os.path.join(logs, 'dstat-csv_log.txt'))]
    assert found.repositories == []


def test_devstack_gate_layout_from_logs(tmp_path):
    logs, _ = fx.devstack_gate(str(tmp_path))
    found = discover.discover(logs)
    assert [os.path.basename(p) for p in found.subunit] == ['testrepository.subunit.gz']
    assert [n for n, _ in found.dstat] == ['primary']


def test_tempest_stestr_and_testrepository(tmp_path):
    fx.write_stestr(str(tmp_path / 'tempest' / '.stestr'))
    touch(str(tmp_path / 'old' / '.testrepository' / 'format'), b'1\n')
    found = discover.discover(str(tmp_path))
    assert found.subunit == []
    assert sorted(found.repositories) == [str(tmp_path / 'old' / '.testrepository'),
                                          str(tmp_path / 'tempest' / '.stestr')]


def test_saved_stream_preferred_over_its_repository(tmp_path):
    fx.write_stestr(str(tmp_path / 'tempest' / '.stestr'))
    fx.write_stream(str(tmp_path / 'tempest' / 'testrepository.subunit'))
    found = discover.discover(str(tmp_path))
    assert found.subunit == [str(tmp_path / 'tempest' / 'testrepository.subunit')]
    assert found.repositories == []
    assert any('same run' in n for n in found.info)
    assert found.notes == []


def test_zuul_v3_work_dir(tmp_path):
    logs, work, _ = fx.zuul_v3(str(tmp_path))
    assert discover.discover(logs).empty()
    found = discover.discover(logs, work_dirs=[work])
    assert found.subunit == [os.path.join(work, 'testrepository.subunit')]
    assert found.repositories == []


def test_any_subunit_file_and_gz_twin_counted_once(tmp_path):
    touch(str(tmp_path / 'a' / 'unit.subunit'))
    touch(str(tmp_path / 'a' / 'unit.subunit.gz'))
    touch(str(tmp_path / 'b' / 'functional.subunit.gz'))
    touch(str(tmp_path / 'b' / 'notes.txt'))
    found = discover.discover(str(tmp_path))
    assert sorted(os.path.relpath(p, str(tmp_path)) for p in found.subunit) == [
        'a/unit.subunit', 'b/functional.subunit.gz']


def test_multinode_dstat_named_by_node(tmp_path):
    touch(str(tmp_path / 'dstat-csv_log.txt'))
    touch(str(tmp_path / 'subnode-2' / 'dstat-csv_log.txt'))
    touch(str(tmp_path / 'subnode-3' / 'dstat-csv.log'))
    found = discover.discover(str(tmp_path))
    assert [n for n, _ in found.dstat] == ['primary', 'subnode-2', 'subnode-3']


def test_multinode_dstat_all_in_node_folders(tmp_path):
    touch(str(tmp_path / 'controller' / 'logs' / 'dstat-csv.log'))
    touch(str(tmp_path / 'compute1' / 'logs' / 'dstat-csv.log'))
    found = discover.discover(str(tmp_path))
    assert sorted(n for n, _ in found.dstat) == ['compute1', 'controller']


def test_single_dstat_in_node_folder_is_primary(tmp_path):
    touch(str(tmp_path / 'controller' / 'dstat-csv.log'))
    assert [n for n, _ in discover.discover(str(tmp_path)).dstat] == ['primary']


def test_published_and_temporary_folders_are_not_inputs(tmp_path):
    touch(str(tmp_path / 'stackviz' / 'data' / 'x.subunit'))
    touch(str(tmp_path / '.stackviz.tmp-abc' / 'y.subunit'))
    touch(str(tmp_path / '.stackviz.old-abc' / 'dstat-csv.log'))
    assert discover.discover(str(tmp_path)).empty()
    assert discover.discover(str(tmp_path)).dstat == []


def test_symlink_out_of_logs_is_ignored(tmp_path):
    outside = tmp_path / 'outside'
    fx.write_stream(str(outside / 'secret.subunit'))
    logs = tmp_path / 'logs'
    logs.mkdir()
    os.symlink(str(outside / 'secret.subunit'), str(logs / 'linked.subunit'))
    os.symlink(str(outside), str(logs / 'linked-dir'))
    found = discover.discover(str(logs))
    assert found.empty()
    assert any('symlink leading out' in n for n in found.notes)


def test_symlink_inside_logs_is_read(tmp_path):
    fx.write_stream(str(tmp_path / 'real' / 'run.subunit'))
    os.symlink(str(tmp_path / 'real' / 'run.subunit'), str(tmp_path / 'alias.subunit'))
    found = discover.discover(str(tmp_path))
    assert len(found.subunit) == 2


def test_file_that_is_not_subunit_is_skipped_with_a_note(tmp_path):
    touch(str(tmp_path / 'junk.subunit'), b'<html>404 Not Found</html>\n')
    fx.write_stream(str(tmp_path / 'good.subunit'))
    found = discover.discover(str(tmp_path), looks_like_subunit=readers.looks_like_subunit)
    assert found.subunit == [str(tmp_path / 'good.subunit')]
    assert any('junk.subunit' in n and 'does not look like' in n for n in found.notes)


def test_walk_is_bounded_in_depth(tmp_path):
    deep = tmp_path
    for i in range(discover.MAX_DEPTH + 2):
        deep = deep / ('d%d' % i)
    touch(str(deep / 'lost.subunit'))
    touch(str(tmp_path / 'd0' / 'found.subunit'))
    found = discover.discover(str(tmp_path))
    assert [os.path.basename(p) for p in found.subunit] == ['found.subunit']


def test_work_dir_not_read_when_logs_hold_the_run(tmp_path):
    logs, work, _ = fx.zuul_v3(str(tmp_path))
    fx.write_stream(os.path.join(logs, 'testrepository.subunit.gz'))
    found = discover.discover(logs, work_dirs=[work])
    assert found.subunit == [os.path.join(logs, 'testrepository.subunit.gz')]
    assert found.repositories == []
    assert any('not reading %s' % work in n for n in found.info)


def test_work_dir_read_when_logs_only_hold_junk(tmp_path):
    logs, work, _ = fx.zuul_v3(str(tmp_path))
    touch(os.path.join(logs, 'broken.subunit'), b'not a stream')
    found = discover.discover(logs, work_dirs=[work],
                              looks_like_subunit=readers.looks_like_subunit)
    assert found.subunit == [os.path.join(work, 'testrepository.subunit')]
    assert any('broken.subunit' in n for n in found.notes)
