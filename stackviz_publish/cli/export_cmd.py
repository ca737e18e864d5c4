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

"""``stackviz-export`` (the classic flags, unchanged) and ``stackviz-publish export``."""
import os
import sys

from stackviz_publish.cli import harness
from stackviz_publish.cli import limit_args

PROG = 'stackviz-export'
DESCRIPTION = 'Export subunit streams to a Stackviz data folder.'
EXAMPLE = 'stackviz-export -f tempest.subunit --dstat dstat-csv.log out/'


def add_arguments(parser, classic_tool=True):
    """The flags of stackviz-export (``classic_tool``: the classic files) or of
    ``stackviz-publish export`` (compressed data scripts)."""
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
    if classic_tool:
        parser.add_argument('-z', '--gzip', action='store_true',
                            help='gzip the classic data files (config.json excepted); '
                                 'the timeline, test shards and id index are always '
                                 'compressed data scripts')
    else:
        add_format_arguments(parser, short=True)
    parser.add_argument('-e', '--env', action='store_true',
                        help='fill the dataset from ZUUL_* and JOB_NAME variables')
    parser.add_argument('--no-classic-details', action='store_true',
                        help='skip the monolithic classic details.json (the test '
                             'shards remain)')
    parser.add_argument('--service-logs', action='append', default=[], metavar='GLOB',
                        help='oslo.log service logs (shell glob, repeatable): add each '
                        'test\'s lines from them; links are made relative to the '
                        'site, the parent of the output folder')
    parser.add_argument('--replace', action='store_true',
                        help='replace OUT even when it is a file or a non-empty folder '
                             'that is not an earlier export')
    harness.add_debug(parser)
    parser.add_argument('path', metavar='OUT',
                        help='the output (data) folder, created with its parents, or '
                             'replaced as a whole when it is an earlier export')
    limit_args.add_arguments(parser)


def add_format_arguments(parser, short=False):
    """--gzip, --no-compress and --classic (publish and ``stackviz-publish export``)."""
    names = ('-z', '--gzip') if short else ('--gzip',)
    parser.add_argument(*names, dest='compress', action='store_true', default=True,
                        help='compress the data files (gzip, then base64 in .js data '
                             'scripts); the default, kept for older scripts')
    parser.add_argument('--no-compress', dest='compress', action='store_false',
                        help='write the data scripts uncompressed (plain JSON and CSV '
                             'text in them)')
    parser.add_argument('--classic', '--classic-details', dest='classic',
                        action='store_true',
                        help='also write the classic raw.json and details.json for the '
                             'classic Stackviz site (gzipped unless --no-compress)')


def layout_from(args):
    """The format.Layout the flags ask for."""
    from stackviz_publish import format as data_format
    if getattr(args, 'compress', None) is None:   # stackviz-export
        return data_format.Layout.export_tool(args.gzip, not args.no_classic_details)
    return data_format.Layout.publish(args.compress, args.classic)._replace(
        classic_details=not getattr(args, 'no_classic_details', False))


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'export', help='export subunit streams to Stackviz data',
        **harness.parser_options(DESCRIPTION, EXAMPLE.replace(
            'stackviz-export', 'stackviz-publish export')))
    add_arguments(parser, classic_tool=False)
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


def _service_log_plan(args, warn):
    """None without --service-logs: the export is then the classic one, unchanged."""
    if not args.service_logs:
        return None
    from stackviz_publish import servicelogs
    notes = []
    site_dir = os.path.dirname(os.path.abspath(args.path))
    plan = servicelogs.Plan(servicelogs.named_logs(args.service_logs, site_dir, notes))
    for message in notes:
        warn(message)
    return plan


def export_and_report(reporter, args, stdin):
    """Export as the flags say and print one summary line per run; return the code."""
    from stackviz_publish import export
    if not (args.stream_file or args.repository or args.stdin):
        reporter.error('no input: give -f FILE, -r REPO or -i')
        return harness.EXIT_USAGE
    if args.run_id is not None and not args.repository:
        reporter.error('--run needs -r/--repository')
        return harness.EXIT_USAGE
    summaries = export.export_runs(
        _sources(args, stdin), args.path,
        dstat_logs=[('primary', args.dstat)] if args.dstat else (),
        layout=layout_from(args), env=args.env, limits=limit_args.limits_from(args),
        warn=reporter.warn,
        replace=args.replace, make_parents=True,   # the classic tool makes parents
        service_logs=_service_log_plan(args, reporter.warn), inform=reporter.note)
    for summary in summaries:
        reporter.result(harness.summary_line(summary, args.path))
    return harness.EXIT_OK


def run(args, stdout, stderr, stdin=None):
    from stackviz_publish import export
    reporter = harness.Reporter(PROG, stdout, stderr)
    stdin = stdin if stdin is not None else sys.stdin.buffer
    return harness.execute(
        reporter, lambda: export_and_report(reporter, args, stdin),
        expected=(export.ExportError, OSError), debug=harness.debug_wanted(args),
        stopped_note='%s left as it was' % args.path)


def main(argv=None, stdout=None, stderr=None, stdin=None):
    parser = harness.Parser(prog=PROG, **harness.parser_options(DESCRIPTION, EXAMPLE))
    add_arguments(parser)
    args = parser.parse_args(argv)
    return run(args, stdout or sys.stdout, stderr or sys.stderr, stdin)


if __name__ == '__main__':
    sys.exit(main())
