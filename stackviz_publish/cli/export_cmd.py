"""``stackviz-export`` (the classic flags, unchanged) and ``stackviz-publish export``."""
import argparse
import os
import sys

from stackviz_publish.cli import limit_args

PROG = 'stackviz-export'


def add_arguments(parser):
    parser.add_argument('-f', '--stream-file', action='append', default=[],
                        metavar='FILE', help='a subunit stream (v1 or v2, gzip or '
                        'not); repeat for several runs')
    parser.add_argument('-r', '--repository', action='append', default=[],
                        metavar='REPO', help='a .stestr or .testrepository folder: '
                        'its latest run (see --run)')
    parser.add_argument('--run', dest='run_id', metavar='ID',
                        help='with -r: export this run '
                        '(a number; -2 is the run before the latest)')
    parser.add_argument('-i', '--stdin', action='store_true',
                        help='read a subunit stream from standard input')
    parser.add_argument('--dstat', metavar='FILE', help='a dstat CSV log to add')
    parser.add_argument('-z', '--gzip', action='store_true',
                        help='gzip the data files (config.json excepted)')
    parser.add_argument('-e', '--env', action='store_true',
                        help='fill the dataset from ZUUL_* and JOB_NAME variables')
    parser.add_argument('--no-classic-details', action='store_true',
                        help='skip the monolithic details.json (the shards remain)')
    parser.add_argument('path', help='the output (data) folder, replaced as a whole')
    limit_args.add_arguments(parser)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'export', help='export subunit streams to Stackviz data',
        description='Export subunit streams to a Stackviz data folder.')
    add_arguments(parser)
    parser.set_defaults(run=run)
    return parser


def _sources(args, stdin):
    from stackviz_publish import export
    sources = [export.Source(path, path=path) for path in args.stream_file]
    for repo in args.repository:
        sources += export.sources_from_repository(repo, args.run_id)
    if args.stdin:
        sources.append(export.Source('stdin', stream=stdin))
    return sources


def run(args, stdout, stderr, stdin=None):
    from stackviz_publish import export

    def warn(message):
        stderr.write('%s: warning: %s\n' % (PROG, message))

    if not (args.stream_file or args.repository or args.stdin):
        stderr.write('%s: error: no input: give -f FILE, -r REPO or -i\n' % PROG)
        return 2
    if args.run_id is not None and not args.repository:
        stderr.write('%s: error: --run needs -r/--repository\n' % PROG)
        return 2
    try:
        # The classic tool creates the output folder, parents included.
        parent = os.path.dirname(os.path.abspath(args.path))
        if not os.path.isdir(parent):
            os.makedirs(parent)
        stdin = stdin if stdin is not None else sys.stdin.buffer
        summaries = export.export_runs(
            _sources(args, stdin), args.path,
            dstat_logs=[('primary', args.dstat)] if args.dstat else (),
            gzip=args.gzip, env=args.env, limits=limit_args.limits_from(args),
            classic_details=not args.no_classic_details, warn=warn)
    except export.ExportError as exc:
        stderr.write('%s: error: %s\n' % (PROG, exc))
        return 1
    except OSError as exc:
        stderr.write('%s: error: cannot create the folder of %s: %s\n'
                     % (PROG, args.path, exc.strerror or exc))
        return 1
    except KeyboardInterrupt:
        stderr.write('%s: error: interrupted\n' % PROG)
        return 130
    except Exception as exc:   # never a traceback for the user: one line, and fail
        stderr.write('%s: error: unexpected %s: %s\n' % (PROG, type(exc).__name__, exc))
        return 1
    for summary in summaries:
        stdout.write('%s: %d tests, %d failed, %d skipped, %d unfinished -> %s\n' % (
            summary.name, summary.tests, summary.failures, summary.skips,
            summary.inprogress, args.path))
    return 0


def main(argv=None, stdout=None, stderr=None, stdin=None):
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = argparse.ArgumentParser(
        prog=PROG, description='Export subunit streams to a Stackviz data folder.')
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args, stdout, stderr, stdin)


if __name__ == '__main__':
    sys.exit(main())
