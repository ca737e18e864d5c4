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

"""Find a job's run files under its logs URL, as discover.py does in a logs folder.

Object storage gives no folder listings, so:

- when the log root holds ``zuul-manifest.json`` (Zuul's upload roles write it: a tree
  of ``{name, mimetype, children}`` entries, files with a ``size``), the files are
  picked from that tree;
- otherwise the known paths are probed (HEAD requests, a few at a time): the
  devstack-gate layout (``testrepository.subunit[.gz]``, ``dstat-csv_log.txt`` at the
  root), the zuul-jobs fetch-subunit-output path (``testrepository.subunit`` at the root
  or in a node's folder), devstack's per-node ``<node>/logs/dstat-csv_log.txt``; node
  names come from ``zuul-info/inventory.yaml`` when it is there.

A published site (``stackviz/index.html``) is looked for too. Names from the server are
untrusted: a path is used only when every part is a plain file name.
"""
import concurrent.futures
import json
import os
import posixpath
import re
import urllib.parse

from stackviz_publish import discover
from stackviz_publish import remote
from stackviz_publish import logs_folder
from stackviz_publish import zuul_inventory

MANIFEST = 'zuul-manifest.json'
INVENTORY = 'zuul-info/inventory.yaml'
SUBUNIT_NAMES = ('testrepository.subunit.gz', 'testrepository.subunit')
SITE_INDEX = 'stackviz/index.html'
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_INVENTORY_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 6              # folders below the log root looked into (manifest)
MAX_ENTRIES = 200000       # manifest entries looked at
MAX_PROBE_NODES = 16
MAX_STREAMS = 32           # subunit files fetched from one manifest
DEFAULT_NODES = ('controller', 'primary')
PROBE_WORKERS = 6
# A plain name: no separators, no control characters, no leading dot (hidden
# folders like the publisher's .stackviz.tmp-* are never inputs).
_SAFE_PART = re.compile(r'^[A-Za-z0-9_+@=,~-][A-Za-z0-9._+@=,~-]{0,254}$')


class Plan:
    """What to fetch: relative paths (with sizes when the manifest gives them)."""

    def __init__(self):
        self.source = None        # 'manifest' or 'probes'
        self.subunit = []         # (rel path, size or None)
        self.dstat = []           # (rel path, size or None)
        self.inventory = None     # rel path
        self.site = None          # rel path of a published stackviz/index.html
        self.inventory_text = None


def safe_rel(rel):
    """True when ``rel`` is a relative path of plain names (no '..', no '/x')."""
    parts = rel.split('/')
    return all(_SAFE_PART.match(p) for p in parts)


def join(root_url, rel):
    return root_url + urllib.parse.quote(rel, safe='/')


def manifest_files(data, notes):
    """[(rel path, size)] of the files in a zuul-manifest.json document (bounded)."""
    tree = data.get('tree') if isinstance(data, dict) else None
    if not isinstance(tree, list):
        raise ValueError('no "tree" list in it')
    found = []
    seen = 0
    stack = [('', tree, 0)]
    while stack:
        prefix, entries, depth = stack.pop()
        for entry in entries if isinstance(entries, list) else ():
            seen += 1
            if seen > MAX_ENTRIES:
                notes.append('stopped reading the manifest after %d entries' % MAX_ENTRIES)
                return found
            if not isinstance(entry, dict) or not isinstance(entry.get('name'), str):
                continue
            name = entry['name']
            if not _SAFE_PART.match(name):
                continue   # an odd name can never be one of the files we look for
            children = entry.get('children')
            if isinstance(children, list) or entry.get('mimetype') == 'application/directory':
                if depth < MAX_DEPTH and name not in discover.SKIP_DIRS:
                    stack.append((prefix + name + '/', children, depth + 1))
                continue
            size = entry.get('size')
            found.append((prefix + name,
                          size if isinstance(size, int) and size >= 0 else None))
    return sorted(found)


def plan_from_files(files, notes=None):
    """Pick the run's files from a list of (rel path, size), as discover.py would."""
    plan = Plan()
    plan.source = 'manifest'
    by_stem = {}
    dstat_dirs = {}
    sites = []
    for rel, size in files:
        folder, name = posixpath.split(rel)
        parts = folder.split('/') if folder else []
        if logs_folder.TARGET_NAME in parts:
            if name == 'index.html' and parts[-1] == logs_folder.TARGET_NAME:
                sites.append(rel)
            continue   # a published site's files are never inputs
        if rel == INVENTORY:
            plan.inventory = rel
        elif name.endswith(discover.SUBUNIT_SUFFIXES):
            stem = rel[:-3] if rel.endswith('.gz') else rel
            # x.subunit and x.subunit.gz are one stream: fetch the smaller, gzipped one
            if stem not in by_stem or rel.endswith('.gz'):
                by_stem[stem] = (rel, size)
        elif name in discover.DSTAT_NAMES:
            dstat_dirs.setdefault(folder, []).append((rel, size))
    plan.subunit = sorted(by_stem.values())[:MAX_STREAMS]
    if len(by_stem) > MAX_STREAMS and notes is not None:
        notes.append('%d subunit files in the manifest: fetching the first %d'
                     % (len(by_stem), MAX_STREAMS))
    for folder in sorted(dstat_dirs):
        # one per node folder, in discover.DSTAT_NAMES order of preference
        plan.dstat.append(min(dstat_dirs[folder],
                              key=lambda item: discover.DSTAT_NAMES.index(
                                  posixpath.basename(item[0]))))
    if sites:
        plan.site = min(sites, key=lambda rel: (rel.count('/'), rel))
    return plan


def probe_paths(nodes):
    """Paths to probe, by kind, most likely first."""
    folders = ['', 'logs/']
    for node in nodes:
        folders += [node + '/', node + '/logs/']
    return {
        'subunit': [f + n for f in folders for n in SUBUNIT_NAMES],
        'dstat': [f + n for f in folders for n in discover.DSTAT_NAMES],
        'site': [f + SITE_INDEX for f in folders],
    }


def find(fetcher, root_url, notes, inform):
    """The Plan for the logs at ``root_url`` (ending in '/'), with the inventory's text
    read when there is one. Raises FetchError when the log root cannot be reached."""
    try:
        data, _ = fetcher.read(join(root_url, MANIFEST), MAX_MANIFEST_BYTES)
    except remote.NotFound:
        data = None
    except remote.OverBudget as exc:
        notes.append('%s not used: %s' % (MANIFEST, exc.reason))
        data = None
    plan = text = None
    if data is not None:
        try:
            files = manifest_files(json.loads(data.decode('utf-8', 'replace')), notes)
        except (ValueError, RecursionError) as exc:
            notes.append('%s not used: not a Zuul manifest (%s)'
                         % (MANIFEST, remote.printable(exc, 120)))
        else:
            inform('read the file list from %s (%d files)' % (MANIFEST, len(files)))
            plan = plan_from_files(files, notes)
    if plan is None or plan.inventory:
        text = read_inventory(fetcher, root_url, notes)
    if plan is None:
        inform('no %s: probing the usual paths' % MANIFEST)
        nodes = node_names(zuul_inventory.facts(text)[0], notes) if text else []
        plan = plan_from_probes(*probe_nodes(fetcher, root_url, nodes or DEFAULT_NODES,
                                             notes))
        plan.inventory = INVENTORY if text else None
    plan.inventory_text = text if plan.inventory else None
    return plan


def read_inventory(fetcher, root_url, notes):
    """The inventory's text, or None (absent or unusable: a note says why)."""
    try:
        data, kind = fetcher.read(join(root_url, INVENTORY), MAX_INVENTORY_BYTES)
    except remote.NotFound:
        return None
    except remote.FetchError as exc:
        notes.append('job metadata: %s not used: %s' % (INVENTORY, exc.reason))
        return None
    if is_html(kind, data):
        notes.append('job metadata: %s not used: the server answers with an HTML page'
                     % INVENTORY)
        return None
    return data.decode('utf-8', 'replace')


def probe_nodes(fetcher, root_url, nodes, notes):
    """The probe paths for ``nodes``, and which of them exist: {rel: bool}. Problems
    are summed up in one note per reason, not one per path."""
    paths = probe_paths(nodes)
    ordered = [p for kind in ('subunit', 'dstat', 'site') for p in paths[kind]]
    with concurrent.futures.ThreadPoolExecutor(PROBE_WORKERS) as pool:
        answers = list(pool.map(lambda rel: _exists(fetcher, root_url, rel), ordered))
    problems = {}
    for rel, (_, problem) in zip(ordered, answers):
        if problem:
            problems.setdefault(problem, []).append(rel)
    for problem, rels in problems.items():
        notes.append('%s%s: %s' % (rels[0], ' (and %d more paths)' % (len(rels) - 1)
                                   if len(rels) > 1 else '', problem))
    return paths, {rel: ok for rel, (ok, _) in zip(ordered, answers)}


def plan_from_probes(paths, found):
    """The first subunit stream found, one dstat log per folder, the published site."""
    plan = Plan()
    plan.source = 'probes'
    subunit = [p for p in paths['subunit'] if found.get(p)]
    plan.subunit = [(subunit[0], None)] if subunit else []
    seen = set()
    for rel in paths['dstat']:
        folder = posixpath.dirname(rel)
        if found.get(rel) and folder not in seen:
            seen.add(folder)
            plan.dstat.append((rel, None))
    sites = [p for p in paths['site'] if found.get(p)]
    plan.site = sites[0] if sites else None
    return plan


def _exists(fetcher, root_url, rel):
    """(found, problem): a problem is a reason the path was not used, or None."""
    try:
        ok, kind = fetcher.exists(join(root_url, rel))
    except remote.FetchError as exc:
        return False, 'could not look for it: %s' % exc.reason
    if ok and is_html(kind) and not rel.endswith('.html'):
        return False, 'ignored: the server answers with an HTML page'
    return ok, None


def is_html(kind, data=b''):
    """An HTML page (an error or login page) where a data file was expected."""
    if (kind or '').split(';')[0].strip().lower() in ('text/html', 'application/xhtml+xml'):
        return True
    head = data[:1024].lstrip().lower()
    return head.startswith((b'<!doctype html', b'<html'))


def node_names(names, notes):
    """Host names from the inventory that are safe as one path part (first ones)."""
    kept = []
    for name in names:
        if isinstance(name, str) and _SAFE_PART.match(name):
            kept.append(name)
        else:
            notes.append('ignoring the inventory host %s: not a plain name'
                         % remote.printable(name, 60))
    return kept[:MAX_PROBE_NODES]


def local_path(root, rel):
    return os.path.join(root, *rel.split('/'))
