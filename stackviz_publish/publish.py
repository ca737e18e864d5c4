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

"""The publish flow: find a run's files, export them, place site + data atomically.

Everything new is built in a temporary sibling of LOGS_DIR/stackviz, then swapped in
(see atomic_folders.place), so readers and uploaders only ever see a whole site.
"""
import os
import time

from stackviz_publish import discover
from stackviz_publish import export
from stackviz_publish import limits as limits_mod
from stackviz_publish import readers
from stackviz_publish import atomic_folders
from stackviz_publish import logs_folder
from stackviz_publish import servicelogs
from stackviz_publish import sitefiles
from stackviz_publish import stopping
from stackviz_publish.readers import files as input_files

DEFAULT_SERVICE_LOG_SECONDS = 300

# Outcomes, from best to worst; the CLI maps them to exit codes.
PUBLISHED = 'published'
WARNINGS = 'warnings'      # published, but some input was damaged or skipped
NOTHING = 'nothing'        # no input: nothing was written


class Options:
    """What to publish and how; the CLI fills it from flags."""

    def __init__(self, logs_dir, subunit=(), stestr_dirs=(), dstat=(), work_dirs=(),
                 site=None, gzip=True, limits=None,
                 classic=False, metadata=None, environ=None, stdin=None,
                 warnings=(), service_logs=True, service_log_globs=None,
                 service_log_seconds=DEFAULT_SERVICE_LOG_SECONDS):
        self.logs_dir = logs_dir
        self.subunit = list(subunit)          # paths, '-' for stdin
        self.stestr_dirs = list(stestr_dirs)
        self.dstat = list(dstat)              # paths or NODE=PATH
        self.work_dirs = list(work_dirs)
        self.site = site
        self.gzip = gzip                      # compressed data scripts
        self.limits = limits or limits_mod.Limits()
        self.classic = classic                # also raw.json and details.json
        self.metadata = metadata or {}        # exporter dataset dict (metadata.to_dataset)
        self.environ = os.environ if environ is None else environ
        self.stdin = stdin
        self.warnings = list(warnings)        # found before publishing (job metadata)
        self.service_logs = service_logs      # index the service logs in LOGS_DIR
        self.service_log_globs = list(service_log_globs or servicelogs.DEFAULT_GLOBS)
        self.service_log_seconds = service_log_seconds


class Result:
    def __init__(self, status, target=None, summaries=(), warnings=(), total_bytes=0,
                 site=None):
        self.status = status
        self.target = target
        self.summaries = list(summaries)
        self.warnings = list(warnings)
        self.total_bytes = total_bytes
        self.site = site


def _explicit_dstat(values):
    """``--dstat PATH`` or ``--dstat NODE=PATH``; the first unnamed one is the primary."""
    named = []
    for index, value in enumerate(values):
        node, sep, path = value.partition('=')
        if not sep or os.path.exists(value):
            node, path = ('primary' if index == 0 else 'node%d' % (index + 1)), value
        named.append((node, path))
    return named


def gather_sources(opts, logs_root, notes, info):
    """Return (sources, dstat logs) from flags, or from discovery when none are given."""
    sources = []
    for path in opts.subunit:
        if path == '-':
            sources.append(export.Source('stdin', stream=opts.stdin))
        else:
            sources.append(export.Source(os.path.basename(path), path=path))
    for repo in opts.stestr_dirs:
        sources.extend(export.sources_from_repository(repo))
    dstat = _explicit_dstat(opts.dstat)
    if sources:
        return sources, dstat
    found = discover.discover(logs_root, opts.work_dirs,
                              looks_like_subunit=readers.looks_like_subunit)
    notes.extend(found.notes)
    info.extend(found.info)
    # Found inputs must stay in the folder they were found in, when they are read too.
    for path in found.subunit:
        sources.append(export.Source(os.path.basename(path), path=path,
                                     within=found.roots[path]))
    for repo in found.repositories:
        try:
            runs = export.sources_from_repository(repo, within=found.roots[repo])
        except export.ExportError as exc:
            notes.append('cannot read test repository %s: %s' % (repo, exc))
            continue
        for run in runs:   # a run is a found input too: checked like the others
            problem = input_files.problem(run.path, run.within)
            if problem:
                notes.append('ignoring %s: %s' % (run.path, problem))
            else:
                sources.append(run)
    return sources, dstat or [(node, path, found.roots[path]) for node, path in found.dstat]


def publish(opts, warn=None, checkpoint=None, inform=None):
    """Publish into LOGS_DIR/stackviz and return a Result.

    ``warn`` gets one line per problem, ``inform`` one line per choice made (which
    input was read); ``checkpoint(step)`` is called between steps (tests use it to kill
    the process at each of them).
    """
    warnings = []

    def note(message):
        warnings.append(message)
        if warn:
            warn(message)

    checkpoint = checkpoint or (lambda step: None)
    for message in opts.warnings:
        note(message)
    logs_root = logs_folder.resolve_logs_dir(opts.logs_dir)
    site = sitefiles.find_site(opts.site, opts.environ)
    with atomic_folders.locked(logs_root):
        target = logs_folder.check_target(logs_root)
        logs_folder.clean_stale(logs_root)
        notes, info = [], []
        sources, dstat = gather_sources(opts, logs_root, notes, info)
        for message in notes:
            note(message)
        for message in info:
            if inform:
                inform(message)
        if not sources:
            return Result(NOTHING, target, warnings=warnings)
        if site is None:
            note('no built site found (--site, $%s, %s, or the package): publishing the data'
                 ' only' % (sitefiles.ENV_VAR, sitefiles.IMAGE_SITE))
        stage = None
        try:
            with stopping.shielded():   # a stop now must not leave an unknown stage
                stage = logs_folder.make_stage(logs_root)
            checkpoint('staged')
            plan = _service_log_plan(opts, logs_root, inform)
            summaries = _fill_stage(opts, stage, site, sources, dstat, note, checkpoint,
                                    plan, inform)
            total = tree_size(stage)
            stopping.check()
            # Once begun, the swap completes: a stop arriving then is moot.
            with stopping.shielded(discard=True):
                atomic_folders.place(stage, target, checkpoint)
        finally:
            with stopping.shielded():
                if stage and os.path.lexists(stage):
                    atomic_folders.remove_path(stage)
    status = WARNINGS if warnings else PUBLISHED
    return Result(status, target, summaries, warnings, total, site)


def _service_log_plan(opts, logs_root, inform):
    """The service logs to index, or None (turned off, or none found)."""
    if not opts.service_logs:
        return None
    notes = []
    logs = servicelogs.find_logs(logs_root, opts.service_log_globs, notes)
    for message in notes:
        if inform:
            inform(message)
    if not logs:
        return None
    return servicelogs.Plan(logs, deadline=_service_log_deadline(opts.service_log_seconds))


def _service_log_deadline(seconds, now=None):
    """When the service logs' pass stops: after ``seconds``, and in any case with a
    third of the publish's time limit left, so that a slow pass costs its own lines,
    never the site (the limit stops the whole publish)."""
    now = time.monotonic() if now is None else now
    deadlines = [now + seconds] if seconds else []
    left = stopping.remaining()
    if left is not None:
        deadlines.append(now + left * 2 / 3)
    return min(deadlines) if deadlines else None


def _fill_stage(opts, stage, site, sources, dstat, note, checkpoint, plan=None,
                inform=None):
    if site is not None:
        sitefiles.copy_site(site, stage)
    stopping.check()
    checkpoint('site-copied')
    summaries = export.export_runs(
        sources, os.path.join(stage, 'data'), dstat_logs=dstat, gzip=opts.gzip,
        metadata=opts.metadata or None, env=False, limits=opts.limits,
        classic=opts.classic, warn=note, used_bytes=tree_size(stage),
        service_logs=plan, inform=inform or (lambda message: None))
    checkpoint('exported')
    return summaries


def tree_size(path):
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            total += os.lstat(os.path.join(folder, name)).st_size
    return total
