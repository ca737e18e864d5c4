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

import pytest

from stackviz_publish import atomic_folders
from stackviz_publish import logs_folder


def make_tree(path, files):
    for rel, text in files.items():
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'w') as f:
            f.write(text)


def read_tree(path):
    out = {}
    for folder, _, files in os.walk(path):
        for name in files:
            full = os.path.join(folder, name)
            with open(full) as f:
                out[os.path.relpath(full, path)] = f.read()
    return out


def test_symlink_target_out_of_logs_is_refused(tmp_path):
    logs = tmp_path / 'logs'
    logs.mkdir()
    (tmp_path / 'elsewhere').mkdir()
    os.symlink(str(tmp_path / 'elsewhere'), str(logs / 'stackviz'))
    with pytest.raises(logs_folder.UnsafePathError, match='outside the logs folder'):
        logs_folder.check_target(logs_folder.resolve_logs_dir(str(logs)))


def test_symlink_target_inside_logs_is_accepted(tmp_path):
    (tmp_path / 'old-site').mkdir()
    os.symlink(str(tmp_path / 'old-site'), str(tmp_path / 'stackviz'))
    assert logs_folder.check_target(str(tmp_path)) == str(tmp_path / 'stackviz')


def test_missing_logs_dir(tmp_path):
    with pytest.raises(logs_folder.UnsafePathError, match='does not exist'):
        logs_folder.resolve_logs_dir(str(tmp_path / 'nope'))


def test_is_within():
    assert logs_folder.is_within('/a/b/c', '/a/b')
    assert logs_folder.is_within('/a/b', '/a/b')
    assert not logs_folder.is_within('/a/bc', '/a/b')
    assert not logs_folder.is_within('/a', '/a/b')


@pytest.mark.parametrize('exchange', [True, False])
def test_place_replaces_previous_site(tmp_path, monkeypatch, exchange):
    if not exchange:  # the fallback for filesystems without renameat2
        monkeypatch.setattr(atomic_folders, '_exchange', lambda a, b: False)
    make_tree(str(tmp_path / 'stackviz'), {'index.html': 'old', 'data/old.json': '{}'})
    stage = logs_folder.make_stage(str(tmp_path))
    make_tree(stage, {'index.html': 'new', 'data/new.json': '[]'})
    atomic_folders.place(stage, str(tmp_path / 'stackviz'))
    assert read_tree(str(tmp_path / 'stackviz')) == {'index.html': 'new',
                                                     'data/new.json': '[]'}
    assert sorted(os.listdir(str(tmp_path))) == ['stackviz']
    assert oct(os.stat(str(tmp_path / 'stackviz')).st_mode & 0o777) == oct(0o755)


def test_place_puts_the_previous_site_back_when_the_new_one_cannot_go_in(
        tmp_path, monkeypatch):
    monkeypatch.setattr(atomic_folders, '_exchange', lambda a, b: False)
    make_tree(str(tmp_path / 'stackviz'), {'index.html': 'old'})
    stage = str(tmp_path / 'gone')  # a stage that vanished: rename-in fails
    with pytest.raises(OSError):
        atomic_folders.place(stage, str(tmp_path / 'stackviz'))
    assert read_tree(str(tmp_path / 'stackviz')) == {'index.html': 'old'}
    assert sorted(os.listdir(str(tmp_path))) == ['stackviz']


def test_place_replaces_inside_symlink_not_its_target(tmp_path):
    make_tree(str(tmp_path / 'kept'), {'index.html': 'kept'})
    os.symlink(str(tmp_path / 'kept'), str(tmp_path / 'stackviz'))
    stage = logs_folder.make_stage(str(tmp_path))
    make_tree(stage, {'index.html': 'new'})
    atomic_folders.place(stage, str(tmp_path / 'stackviz'))
    assert not os.path.islink(str(tmp_path / 'stackviz'))
    assert read_tree(str(tmp_path / 'kept')) == {'index.html': 'kept'}


def test_clean_stale_removes_only_our_temporaries(tmp_path):
    make_tree(str(tmp_path), {'.stackviz.tmp-1/x': '', '.stackviz.old-2/y': '',
                              'stackviz/index.html': '', 'other/z': ''})
    (tmp_path / 'target').mkdir()
    (tmp_path / 'target' / 'precious').write_text('keep')
    os.symlink(str(tmp_path / 'target'), str(tmp_path / '.stackviz.tmp-link'))
    assert sorted(logs_folder.clean_stale(str(tmp_path))) == [
        '.stackviz.old-2', '.stackviz.tmp-1', '.stackviz.tmp-link']
    assert sorted(os.listdir(str(tmp_path))) == ['other', 'stackviz', 'target']
    assert (tmp_path / 'target' / 'precious').read_text() == 'keep'


def test_lock_is_exclusive(tmp_path):
    import fcntl
    with atomic_folders.locked(str(tmp_path)):
        fd = os.open(str(tmp_path), os.O_RDONLY)
        try:
            with pytest.raises(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(fd)
