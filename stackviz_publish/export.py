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

"""Export subunit streams (and dstat logs) to a Stackviz data folder.

The publisher and the CLI call ``export_runs``; each source is read once, start to
end, and its files are written as its tests finish (see doc/source/exporter.rst).
"""
import functools
import logging
import os
import re

from stackviz_publish import atomic_folders
from stackviz_publish import format as data_format
from stackviz_publish import limits as limits_mod
from stackviz_publish import model
from stackviz_publish import readers
from stackviz_publish import servicelogs
from stackviz_publish import stopping
from stackviz_publish.format import RunSummary
from stackviz_publish.writers import output
from stackviz_publish.writers import packer as packer_mod
from stackviz_publish.writers import servicelogs as servicelogs_writer
from stackviz_publish.writers.background import Background
from stackviz_publish.writers.run import RunWriter

_UNSAFE = re.compile(r'[^A-Za-z0-9._-]+')
# Taken from the output budget first: config.json (and its twin) and the folders.
CONFIG_RESERVE = 1 << 20


class ExportError(Exception):
    """A one-line message: the CLI prints it and exits non-zero."""


class Source:
    """One subunit input: a file ``path`` (gzip detected by magic bytes) or a binary
    ``stream`` (stdin). ``within``: the folder the file must stay in (files.open_file)."""

    def __init__(self, name, path=None, stream=None, within=None):
        if (path is None) == (stream is None):
            raise ValueError('give exactly one of path and stream')
        self.name = name
        self.path = path
        self.stream = stream
        self.within = within

    def __repr__(self):
        return 'Source(%r, %r)' % (self.name, self.path or '<stream>')


def sources_from_repository(repo_path, run_id=None, within=None):
    """The latest run of a .stestr or .testrepository folder (or run ``run_id``). The
    run file must stay inside ``within`` (the folder the repository was found in), or
    inside the repository itself when the user named it."""
    try:
        repo, _run, path = readers.run_path(repo_path, run_id)
    except readers.ReadError as exc:
        raise ExportError(str(exc))
    return [Source(os.path.basename(os.path.abspath(repo)), path=path,
                   within=within or os.path.realpath(repo))]


def env_fields(environ=None):
    environ = os.environ if environ is None else environ
    return data_format.classic_env_dataset(environ)


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


def export_runs(sources, out_dir, dstat_logs=(), gzip=True, metadata=None, env=False,
                limits=None, classic_details=True, warn=None, used_bytes=0, replace=False,
                make_parents=False, service_logs=None, inform=None, classic=False,
                layout=None):
    """Export every source as a run into ``out_dir`` (replaced atomically); return a
    RunSummary per run. Raises ExportError (one line) when nothing can be exported, or
    when ``out_dir`` is not something it may replace (see output.check_out_dir;
    ``replace`` allows an existing file or a foreign non-empty folder).

    ``layout`` (format.Layout) says which files are written; without it, the layout
    of ``stackviz-publish``: data scripts, compressed with ``gzip``, and with
    ``classic`` also the classic raw.json and details.json (unless not
    ``classic_details``).

    ``limits`` (a limits.Limits; default: its defaults) bounds what is kept and
    written; ``used_bytes`` is what the output's folder already holds (the publisher's
    site), taken from ``max_output_bytes``.

    ``warn`` gets one line per problem (default: this module's logger); the CLIs pass
    their message sink. ``service_logs`` (a servicelogs.Plan) adds each test's service
    log lines; what was skipped in them goes to ``inform`` (default: ``warn``)."""
    warn = warn or logging.getLogger(__name__).warning
    limits = limits or limits_mod.Limits()
    if layout is None:
        layout = data_format.Layout.publish(gzip, classic)._replace(
            classic_details=classic_details)
    sources = list(sources)
    if not sources:
        raise ExportError('no subunit input given')
    total = limits.max_output_bytes
    budget = limits_mod.Budget(None if total is None else total - used_bytes)
    if not budget.take(CONFIG_RESERVE):
        raise ExportError('the output budget %s=%d cannot hold the data (the site takes '
                          '%d bytes)' % (limits_mod.flag('max_output_bytes'), total,
                                         used_bytes))
    inputs = [s.path for s in sources if s.path] + [entry[1] for entry in dstat_logs]
    problem = output.check_out_dir(out_dir, inputs, replace)
    if problem:
        raise ExportError(problem)
    if make_parents:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(out_dir)), exist_ok=True)
        except OSError as exc:
            raise ExportError('cannot create the folder of %s: %s'
                              % (out_dir, exc.strerror or exc))
    try:
        with atomic_folders.AtomicFolder(out_dir) as data_dir:
            # dstat first: its cuts are told in the first run's warnings, which the
            # site shows.
            dstat_artifacts, dstat_notes = _dstat_artifacts(dstat_logs, data_dir, layout,
                                                            limits, budget, warn)
            summaries, artifacts, collectors = _export_all(
                sources, data_dir, layout, limits, budget, warn,
                service_logs is not None, dstat_notes)
            artifacts += dstat_artifacts
            if service_logs is not None:
                artifacts += _service_log_artifacts(service_logs, collectors, data_dir,
                                                    layout, inform or warn)
            entry = output.dataset(metadata, env_fields() if env else None)
            output.write_config(data_dir, entry, artifacts, _generator())
    except OSError as exc:
        raise ExportError('cannot write %s: %s' % (out_dir, exc.strerror or exc))
    return summaries


def _export_all(sources, data_dir, layout, limits, budget, warn, collect, notes=()):
    summaries = []
    artifacts = []
    problems = []
    collectors = []
    for source, name in zip(sources, _unique_names(sources)):
        stopping.check()
        collector = servicelogs.Collector(name + '-0', name) if collect else None
        try:
            summary, run_artifacts = export_one(
                source, name, data_dir, layout, limits, collector, budget,
                () if summaries else notes)
        except readers.ReadError as exc:
            problems.append(str(exc))
            continue
        except limits_mod.BudgetError as exc:
            problems.append('%s: not exported: %s' % (source.path or source.name, exc))
            continue
        if collector is not None:
            collectors.append(collector)
        for message in summary.warnings:
            if summaries or message not in notes:
                warn('%s: %s' % (source.path or source.name, message))
        if summaries:   # config.json carries the first run's first screen only
            for entry in run_artifacts:
                entry.pop('inline', None)
        summaries.append(summary)
        artifacts += run_artifacts
    if not summaries:
        raise ExportError(problems[0] if len(problems) == 1 else
                          'no readable subunit input: ' + '; '.join(problems))
    for problem in problems:   # the other inputs were exported: say what was left out
        warn('skipped: ' + problem)
    return summaries, artifacts, collectors


def export_one(source, name, data_dir, layout=None, limits=None, collector=None,
               budget=None, notes=()):
    """Read one source, write its run's files; return (RunSummary, artifacts).
    ``layout``: a format.Layout (default: compressed data scripts).
    ``collector`` (servicelogs.Collector) sees each test on its way to the writer;
    ``notes`` are warnings to add to the run's stats (the dstat log's cuts)."""
    label = source.path or source.name
    limits = limits or limits_mod.Limits()
    opened = readers.open_input(source.path, source.stream, source.within)
    background = Background()
    packer = packer_mod.start()
    ended = False
    apart = None
    try:
        if opened.kind is None:
            raise readers.ReadError('%s: not a subunit stream (neither v2 packets nor '
                                    'v1 lines at its start)' % label)
        writer = RunWriter(data_dir, name, 0, layout, background, budget, packer)
        sink = writer if collector is None else servicelogs.Tap(writer, collector)
        builder = model.RunBuilder(sink, limits)
        damage = readers.Damage()
        # A big file is read by a child process, which makes the tests too: this
        # process writes them as they come.
        apart = readers.read_apart(opened, damage, label,
                                   work=functools.partial(model.make_tests, limits=limits))
        try:
            # The time limit's backstop, for when no signal can stop the export (not
            # on the main thread).
            if apart is not None:
                builder.take_all(apart, stopping.check)
                stats = builder.finish(apart.made)
            else:
                builder.consume(readers.read_events(opened, damage), stopping.check)
                stats = builder.finish()
        except readers.ReadError:   # an I/O error mid-read: the run leaves no files
            writer.discard()
            raise
        stream_warnings = []
        if opened.kind == 'empty':
            stream_warnings.append('the stream is empty: the run has no tests')
        if opened.problem:
            stream_warnings.append(opened.problem)
        stream_warnings += damage.messages()
        if opened.kind == 'v2' and not damage.packets:
            writer.discard()
            raise readers.ReadError('%s: no valid subunit packet in it' % label)
        ran = stats['count'] + stats['counts']['inprogress']
        if opened.kind == 'v1' and not ran:
            writer.discard()
            raise readers.ReadError('%s: not a subunit stream (no test results in it)'
                                    % label)
        if opened.kind == 'v2' and not ran:
            stream_warnings.append('no test results in the stream (%d packets read)'
                                   % damage.packets)
        stats['warnings'][:0] = stream_warnings
        stats['warnings'] += writer.cut_warnings(builder.left_out) + list(notes)
        artifacts = writer.close(stats)
        ended = True
    finally:
        try:
            background.close()
        finally:
            try:
                if apart is not None:
                    apart.close()
            finally:
                packer.close(abort=not ended)
                opened.close()
    return RunSummary.from_stats(name, stats, writer.bytes_written), artifacts


def _dstat_artifacts(dstat_logs, data_dir, layout, limits, budget, warn):
    """Copy the dstat logs (within the limits); return (artifacts, cut notes)."""
    artifacts = []
    notes = []
    for node, path, *within in dstat_logs:   # within: see files.open_file
        within = within[0] if within else None
        problem = readers.check_dstat(path, within)
        if problem:
            warn('dstat log %s not used: %s' % (path, problem))
            continue
        first = not artifacts
        rel = 'dstat.csv' if first else 'dstat-%s.csv' % safe_name(node)
        if not first and any(a['path'].startswith(rel) for a in artifacts):
            rel = 'dstat-%s-%d.csv' % (safe_name(node), len(artifacts))
        try:
            rel_path, _size, cuts = output.copy_dstat(path, data_dir, rel, layout,
                                                      limits.max_dstat_bytes, budget, within)
        except readers.ReadError as exc:
            warn('dstat log %s not used: %s' % (path, exc))
            continue
        for cut in cuts:
            notes.append('dstat log %s: %s' % (path, cut))
            warn(notes[-1])
        art = data_format.dstat_artifact(
            rel_path, node, first, layout.classic_gzip,
            None if layout.classic_tool else layout.text_encoding)
        if cuts:
            art['cut'] = cuts
        artifacts.append(art)
    return artifacts, notes


def _service_log_artifacts(plan, collectors, data_dir, layout, note):
    notes = []

    def both(message):
        notes.append(message)
        note(message)

    results = servicelogs.index(plan, collectors, both)
    artifacts = []
    for result in results:
        artifact, _size = servicelogs_writer.write(data_dir, result, layout.encoding, notes)
        artifacts.append(artifact)
        note('service logs: %d file(s) read for run %s; %d test(s) have lines'
             % (len(plan.logs), result.collector.name, len(result.tests)))
    return artifacts


@functools.lru_cache(maxsize=None)
def _generator():
    import stackviz_publish
    ver = stackviz_publish.version()
    return '%s %s' % (output.GENERATOR, ver) if ver else output.GENERATOR
