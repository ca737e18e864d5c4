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

"""Find a run's subunit streams, test repositories and dstat logs in a logs folder.

Layouts seen in gate jobs:

- devstack-gate: ``logs/testrepository.subunit[.gz]`` and ``logs/dstat-csv_log.txt``;
- Tempest's test repository: ``.stestr/`` (or the older ``.testrepository/``);
- Zuul v3: ``testrepository.subunit`` in the job's work folder (``--work-dir``), often
  also fetched into the logs folder as ``testrepository.subunit.gz``;
- any ``*.subunit`` or ``*.subunit.gz`` file;
- multi-node jobs: one dstat log per node (``<node>/dstat-csv.log`` or similar).

The walk never follows symlinks, never enters the published ``stackviz/`` folder or
the publisher's own temporary folders, and is bounded in depth and in files looked at,
because logs folders can hold copies of whole ``/etc`` trees. Every input found must
pass readers.files' policy (a regular file, not reached through a symlink leading out
of the folder searched); the ones that do not are skipped with a note saying why.
"""
import os

from stackviz_publish import logs_folder
from stackviz_publish.readers import files

MAX_DEPTH = 5
MAX_ENTRIES = 200000
SUBUNIT_SUFFIXES = ('.subunit', '.subunit.gz')
REPOSITORY_NAMES = ('.stestr', '.testrepository')
DSTAT_NAMES = ('dstat-csv_log.txt', 'dstat-csv.log', 'dstat-csv_log.txt.gz', 'dstat-csv.log.gz',
               'dstat-csv.txt', 'dstat-csv.txt.gz')
# Folders that never hold the run's results and can be huge.
SKIP_DIRS = ('.git', 'node_modules', '__pycache__', '.tox', '.venv')


class Found:
    """What discovery found: inputs plus notes saying what was chosen and why."""

    def __init__(self):
        self.subunit = []       # paths of subunit stream files
        self.repositories = []  # paths of .stestr / .testrepository folders
        self.dstat = []         # (node name, path)
        self.info = []          # what was chosen and why (one line each)
        self.notes = []         # problems: inputs skipped (one line each)
        self.roots = {}         # path -> the folder it must stay in (files.open_file)

    def empty(self):
        return not (self.subunit or self.repositories)


def _skipped_dir(name, depth):
    if depth == 0 and (name == logs_folder.TARGET_NAME or name.startswith(logs_folder.STAGE_PREFIX)
                       or name.startswith(logs_folder.OLD_PREFIX)):
        return True
    return name in SKIP_DIRS


def walk(root, max_depth=MAX_DEPTH, max_entries=MAX_ENTRIES, notes=None):
    """Yield (relative folder, folder names, other names), not following symlinks.

    Other names are everything but real folders (files, symlinks, FIFOs, devices), so
    that an input of the wrong kind is named in a note, not silently passed over."""
    seen = 0
    stack = [('', 0)]
    while stack:
        rel, depth = stack.pop()
        try:
            entries = sorted(os.scandir(os.path.join(root, rel)), key=lambda e: e.name)
        except OSError:
            continue
        dirs, others = [], []
        for entry in entries:
            seen += 1
            if entry.is_dir(follow_symlinks=False):
                dirs.append(entry.name)
            else:
                others.append(entry.name)
        yield rel, dirs, others
        if seen > max_entries:
            if notes is not None:
                notes.append('stopped looking after %d entries in %s' % (seen, root))
            return
        if depth < max_depth:
            for name in reversed(dirs):
                if not _skipped_dir(name, depth) and name not in REPOSITORY_NAMES:
                    stack.append((os.path.join(rel, name), depth + 1))


def _usable(path, root, notes):
    """True when ``path`` passes the input policy inside ``root``; else a note why."""
    problem = files.problem(path, root)
    if problem:
        notes.append('ignoring %s: %s' % (path, problem))
    return problem is None


def _stem(name):
    for suffix in ('.gz',):
        if name.endswith(suffix):
            return name[:-len(suffix)]
    return name


def _node_name(rel_dir, primary):
    if primary:
        return 'primary'
    parts = [p for p in rel_dir.split(os.sep) if p and p != 'logs']
    return '-'.join(parts) or 'primary'


def discover(logs_root, work_dirs=(), looks_like_subunit=None):
    """Look for inputs in ``logs_root`` (a real path), then in Zuul work folders.

    Work folders are read only when the logs folder has no run: jobs often copy the
    work folder's testrepository.subunit into the logs, and one run must count once.
    """
    found = Found()
    dstat = []
    _scan(logs_root, True, found, dstat, looks_like_subunit)
    if found.empty():
        for work_dir in work_dirs:
            _scan(os.path.realpath(work_dir), False, found, dstat, looks_like_subunit)
    elif work_dirs:
        found.info.append('the logs folder holds the run; not reading %s'
                          % ', '.join(work_dirs))
    if found.subunit and found.repositories:
        # A saved testrepository.subunit is the export of the repository's last run:
        # reading both would count the run twice.
        found.info.append('using %s; not reading %s (the same run, most likely)' % (
            ', '.join(found.subunit), ', '.join(found.repositories)))
        found.repositories = []
    found.dstat = name_dstat(dstat)
    return found


def _scan(root, is_logs, found, dstat, looks_like_subunit):
    if not os.path.isdir(root):
        found.notes.append('work folder %s does not exist' % root)
        return
    subunit = []
    # A work folder is a checkout: only its top level holds the run's results.
    depth = MAX_DEPTH if is_logs else 0
    for rel, dirs, names in walk(root, max_depth=depth, notes=found.notes):
        folder = os.path.join(root, rel)
        for name in dirs:
            if name in REPOSITORY_NAMES:
                found.repositories.append(os.path.join(folder, name))
                found.roots[found.repositories[-1]] = root
        for name in names:
            path = os.path.join(folder, name)
            if name in REPOSITORY_NAMES and not logs_folder.is_within(path, root):
                found.notes.append('ignoring %s: a symlink leading out of %s' % (path, root))
            elif name.endswith(SUBUNIT_SUFFIXES) and _usable(path, root, found.notes):
                subunit.append(path)
            elif name in DSTAT_NAMES and is_logs and _usable(path, root, found.notes):
                dstat.append((rel, path))
                found.roots[path] = root
    subunit = _dedupe_subunit(subunit, found.info)
    if looks_like_subunit is not None:
        subunit = _sniff(subunit, root, looks_like_subunit, found.notes)
    found.subunit.extend(subunit)
    found.roots.update((path, root) for path in subunit)


def _dedupe_subunit(paths, notes):
    """Keep one of ``x.subunit`` and ``x.subunit.gz`` in the same folder."""
    chosen = {}
    for path in paths:
        key = _stem(path)
        if key in chosen:
            notes.append('using %s; not reading %s (same stream)' % (chosen[key], path))
            continue
        chosen[key] = path
    return list(chosen.values())


def _sniff(paths, root, looks_like_subunit, notes):
    kept = []
    for path in paths:
        try:
            ok = looks_like_subunit(path, root)
        except files.InputError as exc:
            notes.append('ignoring %s: %s' % (path, exc.reason))
            continue
        if ok:
            kept.append(path)
        else:
            notes.append('ignoring %s: it does not look like a subunit stream' % path)
    return kept


def name_dstat(found):
    """Name each dstat log by its node folder; the shallowest one is the primary node."""
    found = sorted(found, key=lambda item: (item[0].count(os.sep), item[0], item[1]))
    named, used = [], set()
    for index, (rel, path) in enumerate(found):
        if os.path.dirname(path) in used:
            continue  # dstat-csv.log and its saved copy dstat-csv_log.txt: one per node
        used.add(os.path.dirname(path))
        primary = len(found) == 1 or (index == 0 and rel.strip(os.sep) in ('', 'logs'))
        name = _node_name(rel, primary)
        if name in dict(named):
            name = '%s-%d' % (name, index + 1)
        named.append((name, path))
    return named
