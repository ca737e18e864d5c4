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

"""``view``: build a Stackviz site for any job from its logs URL, on this machine.

The URL is resolved (a Zuul build page or API URL gives its ``log_url``), the run's
files are found over HTTP (remote_discover) and downloaded into a cache folder keyed
by the URL, mirroring their paths under the log root, and then published there with
the publisher (publish.py: the same input policy, export and atomic placement), as
``<cache>/logs/stackviz/``. A ``view.json`` marker records what was built, so that a
second view of the same URL opens from the cache with no network at all.

A job that already published ``stackviz/`` is not rebuilt: its site's URL is given
(it is already served by the log server); ``rebuild`` builds it here all the same.
"""
import hashlib
import json
import os
import posixpath
import re
import urllib.parse

from stackviz_publish import discover
from stackviz_publish import limits
from stackviz_publish import metadata
from stackviz_publish import publish
from stackviz_publish import readers
from stackviz_publish import remote
from stackviz_publish import remote_discover
from stackviz_publish import atomic_folders
from stackviz_publish import logs_folder
from stackviz_publish import zuul_inventory

MARKER = 'view.json'
MAX_API_BYTES = 1024 * 1024
_BUILD = re.compile(r'^(?P<prefix>.*?)/(?:t/(?P<tenant>[^/]+)/|api/tenant/(?P<api_tenant>[^/]+)/'
                    r'|api/)?build/(?P<uuid>[0-9a-fA-F]{8}-?[0-9a-fA-F-]{23,27})(?:/.*)?$')

LOCAL = 'local'            # built here: ``<cache>/logs/stackviz``
PUBLISHED = 'published'    # the job's own site, at ``published_url``


class ViewError(Exception):
    """One line: the view cannot be built."""


class NothingFound(ViewError):
    """No subunit stream under the logs URL."""


class Options:
    """What to view; the fetcher (remote.Fetcher) holds the timeout and the budget."""

    def __init__(self, url, out=None, rebuild=False, site=None, environ=None,
                 limits=None):
        self.url = url
        self.out = out
        self.rebuild = rebuild
        self.site = site
        self.environ = os.environ if environ is None else environ
        self.limits = limits   # a limits.Limits; None: the defaults


class Result:
    def __init__(self, kind, folder, site_dir=None, published_url=None, cached=False,
                 summaries=(), warnings=(), log_url=None):
        self.kind = kind
        self.folder = folder
        self.site_dir = site_dir
        self.published_url = published_url
        self.cached = cached
        self.summaries = list(summaries)
        self.warnings = list(warnings)
        self.log_url = log_url


def normalise(url):
    """The URL as a cache key: scheme and host lower case, no default port, no fragment."""
    parts = urllib.parse.urlsplit(url.strip())
    host = (parts.hostname or '').lower()
    port = parts.port
    if port and (parts.scheme, port) not in (('http', 80), ('https', 443)):
        host = '%s:%d' % (host, port)
    return urllib.parse.urlunsplit((parts.scheme.lower(), host, parts.path or '/',
                                    parts.query, ''))


def cache_root(environ):
    base = environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'stackviz-publish', 'view')


def cache_folder(url, environ):
    return os.path.join(cache_root(environ),
                        hashlib.sha256(normalise(url).encode('utf-8')).hexdigest())


def zuul_api_url(url):
    """Zuul's REST API URL for a build page or API URL, else None."""
    parts = urllib.parse.urlsplit(url)
    match = _BUILD.match(parts.path)
    if not match:
        return None
    tenant = match.group('tenant') or match.group('api_tenant')
    path = '%s/api/%sbuild/%s' % (match.group('prefix'),
                                  'tenant/%s/' % tenant if tenant else '', match.group('uuid'))
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, '', ''))


def is_subunit_url(url):
    return urllib.parse.urlsplit(url).path.endswith(discover.SUBUNIT_SUFFIXES)


def log_root(url):
    """A logs folder URL ending in '/' (an index.html at its end is dropped)."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path
    if posixpath.basename(path) in ('index.html', 'index.htm'):
        path = posixpath.dirname(path)
    if not path.endswith('/'):
        path += '/'
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ''))


def build_facts(fetcher, api_url, warn):
    """(log_url, job facts) from Zuul's build API."""
    data, _ = fetcher.read(api_url, MAX_API_BYTES)
    try:
        build = json.loads(data.decode('utf-8', 'replace'))
    except (ValueError, RecursionError):
        raise ViewError('%s: not an answer of Zuul\'s build API (not JSON)'
                        % remote.printable(api_url))
    if not isinstance(build, dict):
        raise ViewError('%s: not an answer of Zuul\'s build API' % remote.printable(api_url))
    log_url = build.get('log_url')
    if not isinstance(log_url, str) or not log_url:
        raise ViewError('Zuul has no logs URL for build %s (still running, or no logs '
                        'were uploaded)' % remote.printable(build.get('uuid', api_url)))
    ref = build.get('ref') if isinstance(build.get('ref'), dict) else build
    buildset = build.get('buildset') if isinstance(build.get('buildset'), dict) else {}
    zuul = {'project': {'name': ref.get('project')}, 'change': ref.get('change'),
            'patchset': ref.get('patchset'),
            'pipeline': build.get('pipeline') or buildset.get('pipeline'),
            'job': build.get('job_name'), 'build': build.get('uuid')}
    zuul = {k: v for k, v in zuul.items() if v not in (None, '', {'name': None})}
    return log_url, metadata.from_zuul_vars(zuul, warn)


def _load_marker(folder, url):
    try:
        with open(os.path.join(folder, MARKER)) as handle:
            marker = json.load(handle)
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get('url') != normalise(url):
        return None
    if marker.get('kind') == LOCAL and os.path.isfile(
            os.path.join(folder, 'logs', logs_folder.TARGET_NAME, 'index.html')):
        return marker
    if marker.get('kind') == PUBLISHED and isinstance(marker.get('published_url'), str):
        return marker
    return None


def _write_marker(folder, marker):
    path = os.path.join(folder, MARKER)
    with open(path + '.tmp', 'w') as handle:
        json.dump(marker, handle, indent=1, sort_keys=True)
    os.replace(path + '.tmp', path)


def _from_marker(folder, marker):
    if marker['kind'] == LOCAL:
        return Result(LOCAL, folder, os.path.join(folder, 'logs', logs_folder.TARGET_NAME),
                      cached=True, log_url=marker.get('log_url'))
    return Result(PUBLISHED, folder, published_url=marker['published_url'], cached=True,
                  log_url=marker.get('log_url'))


def view(opts, fetcher, warn, inform):
    """Build (or find in the cache) the site for ``opts.url``; return a Result."""
    remote.check_url(opts.url)
    folder = os.path.abspath(opts.out or cache_folder(opts.url, opts.environ))
    if opts.out and os.path.isdir(folder) and os.listdir(folder) \
            and not os.path.isfile(os.path.join(folder, MARKER)):
        # downloads would overwrite files of the same names: never in someone's folder
        raise ViewError('%s holds files and was not made by view: name a new or empty '
                        'folder with --out' % folder)
    os.makedirs(folder, exist_ok=True)
    with atomic_folders.locked(folder):
        marker = None if opts.rebuild else _load_marker(folder, opts.url)
        if marker:
            return _from_marker(folder, marker)
        return _build(opts, fetcher, folder, warn, inform)


def _build(opts, fetcher, folder, warn, inform):
    warnings = []

    def note(message):
        warnings.append(message)
        warn(message)

    facts = {}
    url = opts.url
    api_url = zuul_api_url(url)
    if api_url:
        inform('reading build %s from Zuul\'s API' % remote.printable(api_url))
        url, facts = build_facts(fetcher, api_url, note)
        remote.check_url(url)
    if is_subunit_url(url):
        root, plan = None, _single(url)
    else:
        root = log_root(url)
        notes = []
        plan = remote_discover.find(fetcher, root, notes, inform)
        for message in notes:
            note(message)
        if plan.site and not opts.rebuild:
            published = remote_discover.join(root, plan.site)
            inform('the job published its own site: %s (--rebuild builds one here)'
                   % remote.printable(published))
            _write_marker(folder, {'url': normalise(opts.url), 'kind': PUBLISHED,
                                   'published_url': published, 'log_url': root})
            return Result(PUBLISHED, folder, published_url=published, log_url=root,
                          warnings=warnings)
        if plan.inventory_text:
            _, zuul = zuul_inventory.facts(plan.inventory_text)
            if zuul is not None:
                facts = metadata.merge(metadata.from_zuul_vars(zuul, note), facts)
    if not plan.subunit:
        raise NothingFound('no subunit stream found under %s (looked for %s)' % (
            remote.printable(root or url), ', '.join(remote_discover.SUBUNIT_NAMES)))
    facts = metadata.merge(facts, metadata.from_flags({'log_url': root or url}, note))
    logs = os.path.join(folder, 'logs')
    subunit = _fetch_streams(fetcher, root, plan.subunit, logs, note)
    dstat = _fetch_dstat(fetcher, root, plan.dstat, logs, note)
    result = publish.publish(publish.Options(
        logs, subunit=subunit, dstat=['%s=%s' % item for item in dstat], site=opts.site,
        metadata=metadata.to_dataset(facts), environ=opts.environ,
        limits=opts.limits), warn=note, inform=inform)
    if result.status == publish.NOTHING:
        raise NothingFound('nothing could be exported from %s' % remote.printable(url))
    _write_marker(folder, {'url': normalise(opts.url), 'kind': LOCAL, 'log_url': root or url})
    return Result(LOCAL, folder, result.target, summaries=result.summaries,
                  warnings=warnings, log_url=root or url)


def _single(url):
    """A plan holding one subunit file given by its full URL."""
    plan = remote_discover.Plan()
    plan.source = 'url'
    plan.subunit = [(url, None)]
    return plan


def _download(fetcher, root, rel, size, logs):
    """Fetch one file into the mirror ``logs``; return its local path."""
    if root is None:   # a direct URL: its file name only
        url = rel
        name = posixpath.basename(urllib.parse.urlsplit(url).path)
        rel = name if remote_discover.safe_rel(name) else 'stream.subunit'
    else:
        url = remote_discover.join(root, rel)
    if size is not None and fetcher.budget.left() is not None and size > fetcher.budget.left():
        raise remote.OverBudget(url, '%s, over the download budget of %s (--max-download):'
                                ' not fetched' % (limits.human_size(size),
                                                  limits.human_size(fetcher.budget.limit)))
    path = remote_discover.local_path(logs, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    _, kind = fetcher.get(url, path, name=rel)
    return url, path, kind


def _fetch_streams(fetcher, root, wanted, logs, note):
    paths, problems = [], []
    for rel, size in wanted:
        try:
            url, path, kind = _download(fetcher, root, rel, size, logs)
            problem = _not_subunit(path, kind)
        except (remote.FetchError, readers.ReadError) as exc:
            problems.append(str(exc))
            continue
        if problem:
            problems.append('%s: %s' % (remote.printable(url), problem))
            os.unlink(path)
            continue
        paths.append(path)
    if not paths:
        raise ViewError(problems[0] if len(problems) == 1 else
                        'no subunit stream could be fetched: ' + '; '.join(problems))
    for problem in problems:
        note('skipped: ' + problem)
    return paths


def _not_subunit(path, kind):
    with open(path, 'rb') as handle:
        head = handle.read(1024)
    if remote_discover.is_html(kind, head):
        return 'an HTML page, not a subunit stream (an error or login page?)'
    if not readers.looks_like_subunit(path):
        return 'not a subunit stream'
    return None


def _fetch_dstat(fetcher, root, wanted, logs, note):
    found = []
    for rel, size in wanted:
        try:
            url, path, kind = _download(fetcher, root, rel, size, logs)
        except remote.FetchError as exc:
            note('dstat log not used: %s' % exc)
            continue
        if remote_discover.is_html(kind):
            note('dstat log not used: %s is an HTML page' % remote.printable(url))
            os.unlink(path)
            continue
        found.append((os.path.dirname(rel).replace('/', os.sep), path))
    return discover.name_dstat(found)
