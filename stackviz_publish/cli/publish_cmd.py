"""``stackviz-publish publish LOGS_DIR``: the post-job step.

Exit policy: a job must never fail because of this step unless it asks to. Without
--strict every outcome exits 0 with one clear line; with --strict, nothing to publish
exits 3, published-with-warnings exits 4, and an error exits 1.
"""
import os
import sys

from stackviz_publish import discover
from stackviz_publish import export
from stackviz_publish import metadata
from stackviz_publish import publish
from stackviz_publish import safety
from stackviz_publish import sitefiles
from stackviz_publish.cli import limit_args

PROG = 'stackviz-publish'
EXIT_ERROR = 1
EXIT_NOTHING = 3
EXIT_WARNINGS = 4
# Problems with input or environment: reported on one line, never a traceback.
EXPECTED_ERRORS = (export.ExportError, safety.UnsafePathError, sitefiles.SiteError,
                   metadata.MetadataError, OSError)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'publish', help='export a run and place the site in LOGS_DIR/stackviz',
        description='Find the run\'s subunit and dstat files in LOGS_DIR (or take them '
                    'from flags), export them and place the site with its data in '
                    'LOGS_DIR/stackviz, atomically. Exits 0 unless --strict.')
    parser.add_argument('logs_dir', metavar='LOGS_DIR')
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
    out = parser.add_argument_group('output')
    out.add_argument('--site', metavar='DIR',
                     help='the built site to copy (default: $%s, %s, then the copy in '
                          'the Python package)' % (sitefiles.ENV_VAR, sitefiles.IMAGE_SITE))
    out.add_argument('--gzip', action='store_true',
                     help='write gzipped data (config.json stays plain); works from any '
                          'static server, object storage included')
    out.add_argument('--classic-details', action='store_true',
                     help='also write the classic monolithic details file (only the '
                          'classic site needs it)')
    out.add_argument('--strict', action='store_true',
                     help='exit non-zero when there is nothing to publish (3), an input '
                          'is damaged (4) or publishing fails (1)')
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
    parser.set_defaults(run=run)
    return parser


def job_metadata(args, environ):
    env = metadata.from_env(environ) if args.env else {}
    from_file = metadata.from_zuul_json(args.zuul_json) if args.zuul_json else {}
    flags = {f: getattr(args, 'meta_' + f) for f in metadata.FIELDS}
    return metadata.merge(env, from_file, flags)


def summary_line(summary):
    return '%s: %d tests, %d failures, %d skips, %d unfinished, wall time %.1f s' % (
        summary.name, summary.tests, summary.failures, summary.skips, summary.inprogress,
        summary.wall_time or 0.0)


def run(args, stdout, stderr, environ=None, stdin=None, checkpoint=None):
    environ = os.environ if environ is None else environ

    def warn(message):
        stderr.write('%s: warning: %s\n' % (PROG, message))

    def inform(message):
        stdout.write('%s: note: %s\n' % (PROG, message))

    def finish(code, message, stream=stdout):
        stream.write('%s: %s\n' % (PROG, message))
        return code if args.strict else 0

    try:
        facts = job_metadata(args, environ)
        opts = publish.Options(
            args.logs_dir, subunit=args.subunit, stestr_dirs=args.stestr_dir,
            dstat=args.dstat, work_dirs=args.work_dir, site=args.site, gzip=args.gzip,
            limits=limit_args.limits_from(args),
            classic_details=args.classic_details, metadata=metadata.to_dataset(facts),
            environ=environ, stdin=stdin if stdin is not None else sys.stdin.buffer)
        result = publish.publish(opts, warn=warn, checkpoint=checkpoint, inform=inform)
    except EXPECTED_ERRORS as exc:
        return finish(EXIT_ERROR, 'error: %s' % _one_line(exc), stderr)
    except Exception as exc:  # never fail the job on our own bug, unless asked to
        if environ.get('STACKVIZ_DEBUG'):
            raise
        return finish(EXIT_ERROR, 'internal error: %s: %s' % (
            type(exc).__name__, _one_line(exc)), stderr)
    if result.status == publish.NOTHING:
        return finish(EXIT_NOTHING, 'nothing to publish: no subunit stream found in %s '
                      '(looked for %s, %s)' % (args.logs_dir, ', '.join(
                          discover.SUBUNIT_SUFFIXES), ', '.join(discover.REPOSITORY_NAMES)))
    stdout.write('%s: published %s (%s)\n' % (
        PROG, os.path.join(result.target, 'index.html'), publish.human_size(result.total_bytes)))
    for summary in result.summaries:
        stdout.write(summary_line(summary) + '\n')
    if result.status == publish.WARNINGS:
        return finish(EXIT_WARNINGS, '%d warning(s); the readable part was published'
                      % len(result.warnings), stderr)
    return 0


def _one_line(exc):
    text = str(exc) or type(exc).__name__
    if isinstance(exc, OSError) and exc.filename and exc.strerror:
        text = '%s: %s' % (exc.filename, exc.strerror)
    return ' '.join(text.split())
