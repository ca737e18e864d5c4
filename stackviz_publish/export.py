"""Export subunit streams (and dstat logs) to a Stackviz data folder.

The publisher and the CLI call ``export_runs``; each source is read once, start to
end, and its files are written as its tests finish (see doc/source/exporter.rst).
"""
import functools
import os
import re
import sys

from stackviz_publish import limits as limits_mod
from stackviz_publish import model
from stackviz_publish import readers
from stackviz_publish.readers import dstat as dstat_reader
from stackviz_publish.readers import repository
from stackviz_publish.readers import subunit_v2
from stackviz_publish.writers import output
from stackviz_publish.writers.background import Background
from stackviz_publish.writers.run import RunWriter

# Legacy Zuul v2 / Jenkins environment -> classic dataset keys (--env).
ENV_KEYS = (('ZUUL_PROJECT', 'change_project'), ('ZUUL_CHANGE', 'change_id'),
            ('ZUUL_PATCHSET', 'revision'), ('ZUUL_PIPELINE', 'pipeline'),
            ('JOB_NAME', 'name'))
_UNSAFE = re.compile(r'[^A-Za-z0-9._-]+')
# Taken from the output budget first: config.json (and its twin) and the folders.
CONFIG_RESERVE = 1 << 20


class ExportError(Exception):
    """A one-line message: the CLI prints it and exits non-zero."""


class Source:
    """One subunit input: a file ``path`` (gzip detected by magic bytes) or a binary
    ``stream`` (stdin)."""

    def __init__(self, name, path=None, stream=None):
        if (path is None) == (stream is None):
            raise ValueError('give exactly one of path and stream')
        self.name = name
        self.path = path
        self.stream = stream

    def __repr__(self):
        return 'Source(%r, %r)' % (self.name, self.path or '<stream>')


class RunSummary:
    def __init__(self, name, stats, total_bytes):
        self.name = name
        counts = stats['counts']
        self.tests = stats['count']
        self.failures = counts['fail'] + counts['uxsuccess']
        self.skips = counts['skip']
        self.inprogress = counts['inprogress']
        self.wall_time = stats['wall_time']
        self.warnings = list(stats['warnings'])
        self.total_bytes = total_bytes

    def __repr__(self):
        return ('RunSummary(%r, tests=%d, failures=%d, skips=%d, inprogress=%d)'
                % (self.name, self.tests, self.failures, self.skips, self.inprogress))


def sources_from_repository(repo_path, run_id=None):
    """The latest run of a .stestr or .testrepository folder (or run ``run_id``)."""
    try:
        repo, _run, path = repository.run_path(repo_path, run_id)
    except readers.ReadError as exc:
        raise ExportError(str(exc))
    return [Source(os.path.basename(os.path.abspath(repo)), path=path)]


def env_fields(environ=None):
    environ = os.environ if environ is None else environ
    return {key: environ[var] for var, key in ENV_KEYS if environ.get(var)}


def safe_name(name):
    """A provider name fit for a file name and a URL: no leading dots (hidden files
    that static servers may refuse), no slashes or spaces."""
    name = _UNSAFE.sub('_', os.path.basename(str(name))).lstrip('.')
    return name or 'run'


def _unique_names(sources):
    seen = {}
    names = []
    for source in sources:
        base = safe_name(source.name)
        seen[base] = seen.get(base, 0) + 1
        names.append(base if seen[base] == 1 else '%s-%d' % (base, seen[base]))
    return names


def _default_warn(message):
    sys.stderr.write('stackviz-export: warning: %s\n' % message)


def export_runs(sources, out_dir, dstat_logs=(), gzip=False, metadata=None, env=False,
                limits=None, classic_details=True, warn=None, used_bytes=0):
    """Export every source as a run into ``out_dir`` (replaced atomically); return a
    RunSummary per run. ``limits`` (a limits.Limits; default: its defaults) bounds what
    is kept and written; ``used_bytes`` is what the output's folder already holds
    (the publisher's site), taken from ``max_output_bytes``. Raises ExportError (one
    line) when nothing can be exported."""
    warn = warn or _default_warn
    limits = limits or limits_mod.Limits()
    sources = list(sources)
    if not sources:
        raise ExportError('no subunit input given')
    total = limits.max_output_bytes
    budget = limits_mod.Budget(None if total is None else total - used_bytes)
    if not budget.take(CONFIG_RESERVE):
        raise ExportError('the output budget %s=%d cannot hold the data (the site takes '
                          '%d bytes)' % (limits_mod.flag('max_output_bytes'), total,
                                         used_bytes))
    try:
        with output.AtomicFolder(out_dir) as data_dir:
            # dstat first: its cuts are told in the first run's warnings, which the
            # site shows.
            artifacts, dstat_notes = _dstat_artifacts(dstat_logs, data_dir, gzip, limits,
                                                      budget, warn)
            summaries, run_artifacts = _export_all(
                sources, data_dir, gzip, limits, budget, classic_details, warn,
                dstat_notes)
            entry = output.dataset(metadata, env_fields() if env else None)
            output.write_config(data_dir, entry, run_artifacts + artifacts, _generator())
    except OSError as exc:
        raise ExportError('cannot write %s: %s' % (out_dir, exc.strerror or exc))
    return summaries


def _export_all(sources, data_dir, gzipped, limits, budget, classic_details, warn,
                notes=()):
    summaries = []
    artifacts = []
    problems = []
    for source, name in zip(sources, _unique_names(sources)):
        try:
            summary, arts = export_one(source, name, data_dir, gzipped, limits,
                                       classic_details, budget,
                                       () if summaries else notes)
        except readers.ReadError as exc:
            problems.append(str(exc))
            continue
        except limits_mod.BudgetError as exc:
            problems.append('%s: not exported: %s' % (source.path or source.name, exc))
            continue
        for message in summary.warnings:
            if summaries or message not in notes:
                warn('%s: %s' % (source.path or source.name, message))
        summaries.append(summary)
        artifacts += arts
    if not summaries:
        raise ExportError(problems[0] if len(problems) == 1 else
                          'no readable subunit input: ' + '; '.join(problems))
    for problem in problems:   # the other inputs were exported: say what was left out
        warn('skipped: ' + problem)
    return summaries, artifacts


def export_one(source, name, data_dir, gzipped=False, limits=None, classic_details=True,
               budget=None, notes=()):
    """Read one source, write its run's files; return (RunSummary, artifacts).
    ``notes`` are warnings to add to the run's stats (the dstat log's cuts)."""
    label = source.path or source.name
    limits = limits or limits_mod.Limits()
    opened = readers.open_input(source.path, source.stream)
    background = Background()
    try:
        if opened.kind is None:
            raise readers.ReadError('%s: not a subunit stream (neither v2 packets nor '
                                    'v1 lines at its start)' % label)
        writer = RunWriter(data_dir, name, 0, gzipped, classic_details, background,
                           budget)
        builder = model.RunBuilder(writer, limits)
        damage = subunit_v2.Damage()
        builder.consume(readers.read_events(opened, damage))
        stats = builder.finish()
        early = []
        if opened.kind == 'empty':
            early.append('the stream is empty: the run has no tests')
        if opened.problem:
            early.append(opened.problem)
        early += damage.messages()
        if opened.kind == 'v2' and not damage.packets:
            writer.discard()
            raise readers.ReadError('%s: no valid subunit packet in it' % label)
        ran = stats['count'] + stats['counts']['inprogress']
        if opened.kind == 'v1' and not ran:
            writer.discard()
            raise readers.ReadError('%s: not a subunit stream (no test results in it)'
                                    % label)
        if opened.kind == 'v2' and not ran:
            early.append('no test results in the stream (%d packets read)'
                         % damage.packets)
        stats['warnings'][:0] = early
        stats['warnings'] += writer.cut_warnings(builder.left_out) + list(notes)
        artifacts = writer.close(stats)
    finally:
        background.close()
        opened.close()
    return RunSummary(name, stats, writer.bytes_written), artifacts


def _dstat_artifacts(dstat_logs, data_dir, gzipped, limits, budget, warn):
    """Copy the dstat logs (within the limits); return (artifacts, cut notes)."""
    artifacts = []
    notes = []
    for node, path in dstat_logs:
        problem = dstat_reader.check_dstat(path)
        if problem:
            warn('dstat log %s not used: %s' % (path, problem))
            continue
        first = not artifacts
        rel = 'dstat.csv' if first else 'dstat-%s.csv' % safe_name(node)
        if not first and any(a['path'].startswith(rel) for a in artifacts):
            rel = 'dstat-%s-%d.csv' % (safe_name(node), len(artifacts))
        rel_path, _size, cuts = output.copy_dstat(path, data_dir, rel, gzipped,
                                                  limits.max_dstat_bytes, budget)
        for cut in cuts:
            notes.append('dstat log %s: %s' % (path, cut))
            warn(notes[-1])
        art = {'path': rel_path,
               'artifact_name': 'dstat-csv.log' if first else 'dstat-%s' % node,
               'artifact_type': 'dstat', 'content_type': 'text/csv', 'primary': False,
               'node': node or 'primary',
               'script_path': output.twin_path(rel_path)}
        if gzipped:
            art['content_encoding'] = 'gzip'
        if cuts:
            art['cut'] = cuts
        artifacts.append(art)
    return artifacts, notes


@functools.lru_cache(maxsize=None)
def _generator():
    try:
        from pbr import version
        return 'stackviz-publish %s' % version.VersionInfo('stackviz-publish').version_string()
    except Exception:   # not installed (run from a source tree): no version to tell
        return 'stackviz-publish'
