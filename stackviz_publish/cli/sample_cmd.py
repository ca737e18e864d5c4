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

"""``stackviz-publish sample [DIR]``: generate the sample run, publish it, serve it."""
import os

from stackviz_publish import metadata
from stackviz_publish import publish
from stackviz_publish import sample
from stackviz_publish.cli import harness
from stackviz_publish.cli import publish_cmd
from stackviz_publish.cli import serve_cmd

PROG = 'stackviz-publish'


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'sample', help='publish the shipped sample run and serve it on localhost',
        **harness.parser_options(
            'Generate the sample run (devstack-gate layout, fixed seed) in DIR/logs, '
            'publish it to DIR/logs/stackviz and serve it. DIR defaults to %s, outside '
            'any checkout.' % sample.default_dir_text(),
            'stackviz-publish sample --port 8080'))
    parser.add_argument('directory', metavar='DIR', nargs='?', default=None,
                        help='where to write the sample (default: %s)'
                             % sample.default_dir_text())
    parser.add_argument('--port', type=int, default=8000,
                        help='port to serve on (default 8000; 0: any free port)')
    parser.add_argument('--no-serve', dest='serve', action='store_false',
                        help='publish only')
    parser.add_argument('--site', metavar='DIR', help='the built site to copy')
    harness.add_debug(parser)
    parser.set_defaults(run=run)
    return parser


def publish_sample(reporter, directory, site=None, environ=None):
    """Write the sample run into DIRECTORY/logs and publish it; return (code, logs)."""
    logs = os.path.join(directory, 'logs')
    summary = sample.make_sample(logs)
    reporter.info('sample run written to %s (%s)' % (
        logs, harness.plural(summary['tests'], 'test')))
    opts = publish.Options(logs, site=site, environ=environ if environ is not None else {},
                           metadata=metadata.to_dataset(sample.JOB_FACTS))
    return publish_cmd.publish_and_report(reporter, opts), logs


def sample_and_serve(reporter, directory, port, serve=True, site=None, environ=None):
    code, logs = publish_sample(reporter, directory, site, environ)
    # A sample with no site shows nothing: that is an error, as with publish --strict.
    if code not in (harness.EXIT_OK, harness.EXIT_WARNINGS) or not serve:
        return code
    return serve_cmd.serve_forever(reporter, logs, port)


def run(args, stdout, stderr, environ=None):
    environ = os.environ if environ is None else environ
    reporter = harness.Reporter(PROG, stdout, stderr)
    directory = args.directory or sample.default_dir(environ)
    return harness.execute(
        reporter, lambda: sample_and_serve(reporter, directory, args.port, args.serve,
                                           args.site, _site_environ(environ)),
        expected=publish_cmd.EXPECTED_ERRORS, debug=harness.debug_wanted(args, environ))


def _site_environ(environ):
    """Only the site's location comes from the environment: the sample's job facts are
    its own, never the caller's ZUUL_* variables."""
    return {k: v for k, v in environ.items() if k == 'STACKVIZ_SITE'}
