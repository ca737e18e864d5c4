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

"""``stackviz-publish publish LOGS_DIR``: the post-job step.

Exit policy: a job must never fail because of this step unless it asks to. Without
--strict every outcome exits 0 with one clear line; with --strict, nothing to publish
exits 3, published-with-warnings exits 4, an error (data only, no site included)
exits 1 and the time limit exits 5. Ctrl-C and SIGTERM exit 130 and 143.
"""
import os
import sys

from stackviz_publish import discover
from stackviz_publish import export
from stackviz_publish import limits
from stackviz_publish import metadata
from stackviz_publish import publish
from stackviz_publish import logs_folder
from stackviz_publish import sitefiles
from stackviz_publish.cli import export_cmd
from stackviz_publish.cli import harness
from stackviz_publish.cli import limit_args

PROG = 'stackviz-publish'
EXIT_ERROR = harness.EXIT_ERROR
EXIT_NOTHING = harness.EXIT_NOTHING
EXIT_WARNINGS = harness.EXIT_WARNINGS
EXIT_TIME_LIMIT = harness.EXIT_TIME_LIMIT
DEFAULT_TIME_LIMIT = 600
# Problems with input or environment: reported on one line, never a traceback.
EXPECTED_ERRORS = (export.ExportError, logs_folder.UnsafePathError, sitefiles.SiteError,
                   metadata.MetadataError, OSError)


def parse_size(text):
    """'4M', '512k', '1048576' -> bytes; 0 means no limit (None)."""
    return limits.parse_size(text) or None


def parse_seconds(text):
    """'600', '2.5' -> seconds; 0 means no limit (None)."""
    value = float(text)
    if not value >= 0 or value == float('inf'):
        raise ValueError(text)
    return value or None


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'publish', help='export a run and place the site in LOGS_DIR/stackviz',
        **harness.parser_options(
            'Find the run\'s subunit and dstat files in LOGS_DIR (or take them from '
            'flags), export them and place the site with its data in LOGS_DIR/stackviz, '
            'atomically. Exits 0 unless --strict.',
            'stackviz-publish publish ~/zuul-output/logs --work-dir ~/src/tempest '
            '--job tempest-full'))
    parser.add_argument('logs_dir', metavar='LOGS_DIR',
                        help='the job\'s logs folder: inputs are looked for in it, and '
                             'the site goes to LOGS_DIR/stackviz')
    inputs = parser.add_argument_group('inputs (any of them turns discovery off)')
    inputs.add_argument('--subunit', action='append', default=[], metavar='PATH',
                        help='a subunit stream file (v1 or v2, gzip ok); "-" for stdin; '
                             'repeatable')
    inputs.add_argument('--stestr-dir', action='append', default=[], metavar='DIR',
                        help='a .stestr or .testrepository folder (its last run); '
                             'repeatable')
    inputs.add_argument('--dstat', action='append', default=[], metavar='[NODE=]PATH',
                        help='a dstat CSV log, optionally named by node; repeatable')
    inputs.add_argument('--work-dir', action='append', default=[], metavar='DIR',
                        help='also look for testrepository.subunit and .stestr here '
                             '(Zuul v3: the job\'s work folder); repeatable')
    inputs.add_argument('--service-logs', action='append', default=[], metavar='GLOB',
                        dest='service_log_globs',
                        help='service logs to index (a GLOB with "/" matches paths '
                             'relative to LOGS_DIR, others file names; repeatable; '
                             'default: devstack\'s screen-*.txt[.gz] and '
                             'screen-*.log[.gz]); does not turn discovery off')
    inputs.add_argument('--no-service-logs', dest='service_logs', action='store_false',
                        help='do not index the service logs')
    out = parser.add_argument_group('output')
    out.add_argument('--site', metavar='DIR',
                     help='the built site to copy (default: $%s, %s, then the copy in '
                          'the Python package)' % (sitefiles.ENV_VAR, sitefiles.IMAGE_SITE))
    export_cmd.add_format_arguments(out)
    out.add_argument('--strict', action='store_true',
                     help='exit non-zero when there is nothing to publish (3), an input '
                          'is damaged (4), publishing fails or finds no site (1), or '
                          'the time limit is reached (5)')
    out.add_argument('--time-limit', type=parse_seconds, default=DEFAULT_TIME_LIMIT,
                     metavar='SECONDS',
                     help='stop after SECONDS, leaving LOGS_DIR/stackviz as it was '
                          '(default %d; 0: no limit)' % DEFAULT_TIME_LIMIT)
    meta = parser.add_argument_group(
        'job metadata (flags override --zuul-json, which overrides the environment)')
    meta.add_argument('--no-env', dest='env', action='store_false',
                      help='ignore the legacy ZUUL_* and JOB_NAME environment')
    meta.add_argument('--zuul-json', metavar='FILE',
                      help='a JSON file holding Zuul\'s "zuul" variable')
    for field in metadata.FIELDS:
        meta.add_argument('--' + field.replace('_', '-'), dest='meta_' + field,
                          metavar=field.upper())
    limit_args.add_arguments(parser)
    harness.add_debug(parser)
    parser.set_defaults(run=run)
    return parser


def job_metadata(args, environ, warn):
    """Never raises: a problem with the metadata is a warning, never a lost site."""
    env = metadata.from_env(environ, warn) if args.env else {}
    from_file = metadata.from_zuul_json(args.zuul_json, warn) if args.zuul_json else {}
    flags = metadata.from_flags({f: getattr(args, 'meta_' + f) for f in metadata.FIELDS},
                                warn)
    return metadata.merge(env, from_file, flags)


def options_from_args(args, environ, stdin):
    """publish.Options from the parsed flags."""
    meta_warnings = []
    facts = job_metadata(args, environ, meta_warnings.append)
    return publish.Options(
        args.logs_dir, subunit=args.subunit, stestr_dirs=args.stestr_dir,
        dstat=args.dstat, work_dirs=args.work_dir, site=args.site, gzip=args.compress,
        limits=limit_args.limits_from(args),
        classic=args.classic, metadata=metadata.to_dataset(facts),
        environ=environ, stdin=stdin, warnings=meta_warnings,
        service_logs=getattr(args, 'service_logs', True),
        service_log_globs=getattr(args, 'service_log_globs', None))


def publish_and_report(reporter, opts, checkpoint=None):
    """Publish and say what happened; return the exit code --strict would give."""
    result = publish.publish(opts, warn=reporter.warn, checkpoint=checkpoint,
                             inform=reporter.note)
    if result.status == publish.NOTHING:
        reporter.info('nothing to publish: no subunit stream found in %s (looked for %s, '
                      '%s)' % (opts.logs_dir, ', '.join(discover.SUBUNIT_SUFFIXES),
                               ', '.join(discover.REPOSITORY_NAMES)))
        return EXIT_NOTHING
    size = limits.human_size(result.total_bytes)
    if result.site is None:
        reporter.info('published data only, no site: %s (%s)'
                      % (os.path.join(result.target, 'data'), size))
    else:
        reporter.info('published %s (%s)'
                      % (os.path.join(result.target, 'index.html'), size))
    for summary in result.summaries:
        reporter.result(harness.summary_line(summary))
    if result.site is None:
        return EXIT_ERROR
    if result.status == publish.WARNINGS:
        reporter.tell('%s; the readable part was published'
                      % harness.plural(len(result.warnings), 'warning'))
        return EXIT_WARNINGS
    return 0


def run(args, stdout, stderr, environ=None, stdin=None, checkpoint=None):
    environ = os.environ if environ is None else environ
    reporter = harness.Reporter(PROG, stdout, stderr)
    stdin = stdin if stdin is not None else sys.stdin.buffer

    def body():
        return publish_and_report(reporter, options_from_args(args, environ, stdin),
                                  checkpoint)

    return harness.execute(
        reporter, body, expected=EXPECTED_ERRORS, debug=harness.debug_wanted(args, environ),
        lenient=not args.strict, time_limit=args.time_limit,
        stopped_note='%s left as it was' % os.path.join(args.logs_dir, logs_folder.TARGET_NAME))
