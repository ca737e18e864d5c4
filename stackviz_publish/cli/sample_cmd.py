"""``stackviz-publish sample [DIR]``: generate the sample run, publish it, serve it."""
import argparse
import os

from stackviz_publish import metadata
from stackviz_publish import sample
from stackviz_publish.cli import publish_cmd
from stackviz_publish.cli import serve_cmd


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'sample', help='publish the shipped sample run and serve it on localhost',
        description='Generate the sample run (devstack-gate layout, fixed seed) in '
                    'DIR/logs, publish it to DIR/logs/stackviz and serve it.')
    parser.add_argument('directory', metavar='DIR', nargs='?', default='stackviz-sample')
    parser.add_argument('--port', type=int, default=8000,
                        help='port to serve on (default 8000; 0: any free port)')
    parser.add_argument('--no-serve', dest='serve', action='store_false',
                        help='publish only')
    parser.add_argument('--site', metavar='DIR', help='the built site to copy')
    parser.set_defaults(run=run)
    return parser


def run(args, stdout, stderr):
    logs = os.path.join(args.directory, 'logs')
    summary = sample.make_sample(logs)
    stdout.write('stackviz-publish: sample run written to %s (%d tests)\n'
                 % (logs, summary['tests']))
    publish_args = argparse.Namespace(
        logs_dir=logs, subunit=[], stestr_dir=[], dstat=[], work_dir=[], site=args.site,
        gzip=False, classic_details=False, strict=True,
        env=False, zuul_json=None, **{'meta_' + f: None for f in metadata.FIELDS})
    publish_args.meta_job = 'sample-tempest-full'
    publish_args.meta_pipeline = 'check'
    code = publish_cmd.run(publish_args, stdout, stderr)
    if code not in (0, publish_cmd.EXIT_WARNINGS) or not args.serve:
        return code
    return serve_cmd.serve_forever(logs, args.port, stdout, stderr)
