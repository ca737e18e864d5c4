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

"""stestr (.stestr) and testrepository (.testrepository) folders: each run is a
subunit file named by its number; ``next-stream`` holds the number of the next one."""
import os

from stackviz_publish.readers.errors import ReadError

KNOWN = ('.stestr', '.testrepository')


def find_repository(path):
    """The repository folder itself, or the one inside ``path`` (a project folder)."""
    if not os.path.isdir(path):
        raise ReadError('repository %s: not a folder' % path)
    if _run_ids(path) or os.path.exists(os.path.join(path, 'next-stream')):
        return path
    for name in KNOWN:
        inner = os.path.join(path, name)
        if os.path.isdir(inner):
            return inner
    raise ReadError('repository %s: neither a .stestr nor a .testrepository folder '
                    '(no numbered runs, no next-stream)' % path)


def _run_ids(path):
    try:
        names = os.listdir(path)
    except OSError as exc:
        raise ReadError('repository %s: cannot list it (%s)' % (path, exc.strerror))
    # Not only regular files: a latest run that is a FIFO or a symlink leading out must
    # be refused with its reason (files.open_file), not replaced by an older run.
    return sorted(int(n) for n in names
                  if n.isdigit() and not os.path.isdir(os.path.join(path, n)))


def run_path(path, run_id=None):
    """(repository folder, run id, file path) of the latest run, or of ``run_id``."""
    repo = find_repository(path)
    ids = _run_ids(repo)
    if not ids:
        raise ReadError('repository %s holds no runs' % repo)
    if run_id is None:
        chosen = ids[-1]
    else:
        try:
            chosen = int(str(run_id))
        except ValueError:
            raise ReadError('run id %r: not a number' % (run_id,))
        if chosen < 0:
            chosen = ids[chosen] if -chosen <= len(ids) else None
        if chosen not in ids:
            raise ReadError('repository %s has no run %s (runs: %s)'
                            % (repo, run_id, _span(ids)))
    return repo, chosen, os.path.join(repo, str(chosen))


def _span(ids):
    if len(ids) > 6:
        return '%s ... %s' % (', '.join(map(str, ids[:3])), ', '.join(map(str, ids[-2:])))
    return ', '.join(map(str, ids))
