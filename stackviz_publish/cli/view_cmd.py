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

"""``stackviz-publish view URL``: build a job's site from its logs URL and serve it."""
import os
import webbrowser

from stackviz_publish import export
from stackviz_publish import limits
from stackviz_publish import metadata
from stackviz_publish import publish
from stackviz_publish import remote
from stackviz_publish import logs_folder
from stackviz_publish import serve
from stackviz_publish import sitefiles
from stackviz_publish import stopping
from stackviz_publish import view
from stackviz_publish.cli import harness
from stackviz_publish.cli import publish_cmd

PROG = 'stackviz-publish'
EXIT_ERROR = harness.EXIT_ERROR
EXIT_NOTHING = harness.EXIT_NOTHING
DEFAULT_PORT = 8000
# Problems with the URL, the network, the input or the cache: one line, no traceback.
EXPECTED_ERRORS = (view.ViewError, remote.FetchError, export.ExportError,
                   logs_folder.UnsafePathError, sitefiles.SiteError, metadata.MetadataError,
                   OSError)


def seconds(text):
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'view', help='build the site of any job from its logs URL and serve it',
        **harness.parser_options(
            'Find the run\'s files under URL (a job\'s logs URL, a Zuul build page or API '
            'URL, or a subunit file\'s URL), download them into a cache folder, build the '
            'site there and serve it on %s. A second view of the same URL opens from the '
            'cache.' % serve.HOST,
            'stackviz-publish view https://logs.example.org/12/34/5/check/tempest/abc/'))
    parser.add_argument('url', metavar='URL',
                        help='a job\'s logs URL, a Zuul build URL, or a subunit file\'s URL')
    parser.add_argument('--out', metavar='DIR',
                        help='build in DIR instead of the cache folder (%s/<hash of URL>)'
                        % view.cache_root({'XDG_CACHE_HOME': '$XDG_CACHE_HOME'}))
    parser.add_argument('--port', type=int, default=None,
                        help='port to serve on (default %d, or any free port when it is '
                             'taken)' % DEFAULT_PORT)
    parser.add_argument('--no-serve', dest='serve', action='store_false',
                        help='build only; print where the site is')
    parser.add_argument('--open', action='store_true', help='open the site in a browser')
    parser.add_argument('--rebuild', action='store_true',
                        help='fetch and build again with this version, even when the cache '
                             'or the job itself has a site')
    parser.add_argument('--timeout', type=seconds, default=remote.DEFAULT_TIMEOUT,
                        metavar='SECONDS', help='give up on a connection or a read after '
                        'SECONDS (default %g)' % remote.DEFAULT_TIMEOUT)
    parser.add_argument('--max-download', type=publish_cmd.parse_size, metavar='SIZE',
                        default=remote.DEFAULT_BUDGET,
                        help='download at most SIZE bytes in all (suffix K, M, G; 0: no '
                             'limit; default 1G)')
    parser.add_argument('--site', metavar='DIR', help='the built site to copy')
    harness.add_debug(parser)
    parser.set_defaults(run=run)
    return parser


def run(args, stdout, stderr, environ=None, serve_until=None):
    """``serve_until``: tests pass a callable that gets the URL and returns when done."""
    environ = os.environ if environ is None else environ
    reporter = harness.Reporter(PROG, stdout, stderr)
    return harness.execute(
        reporter, lambda: _view(args, reporter, environ, serve_until),
        expected=EXPECTED_ERRORS, debug=harness.debug_wanted(args, environ))


def _view(args, reporter, environ, serve_until):
    opts = view.Options(args.url, out=args.out, rebuild=args.rebuild, site=args.site,
                        environ=environ)
    fetcher = remote.Fetcher(args.timeout, remote.Budget(args.max_download),
                             remote.Progress(reporter.stderr))
    try:
        result = view.view(opts, fetcher, reporter.warn, reporter.note)
    except view.NothingFound as exc:
        reporter.tell(str(exc))
        return harness.EXIT_NOTHING
    if result.kind == view.PUBLISHED:
        reporter.info('%s site: %s' % (
            'cached: the job\'s own' if result.cached else 'the job\'s own',
            result.published_url))
        if args.open:
            webbrowser.open(result.published_url)
        return harness.EXIT_OK
    index = os.path.join(result.site_dir, 'index.html')
    if result.cached:
        reporter.info('from the cache: %s (--rebuild builds it again)' % index)
    else:
        reporter.info('built %s (%s)' % (
            index, limits.human_size(publish.tree_size(result.site_dir))))
        for summary in result.summaries:
            reporter.result(harness.summary_line(summary))
    if not args.serve:
        return harness.EXIT_OK
    return _serve(result.site_dir, args.port, args.open, reporter, serve_until)


def _serve(directory, port, open_browser, reporter, serve_until):
    try:
        server = serve.make_server(directory, DEFAULT_PORT if port is None else port)
    except OSError as exc:
        if port is not None:
            reporter.error('cannot listen on port %d: %s' % (port, exc.strerror or exc))
            return harness.EXIT_ERROR
        server = serve.make_server(directory, 0)   # the default port is taken
    with server:
        url = serve.url(server, directory)
        reporter.result('Serving %s at %s (Ctrl-C to stop)' % (directory, url))
        if open_browser:
            webbrowser.open(url)
        if serve_until is not None:
            serve.serve_in_thread(server)
            try:
                serve_until(url)
            finally:
                server.shutdown()
            return harness.EXIT_OK
        try:
            server.serve_forever()
        except stopping.Interrupted as stop:
            reporter.info('stopped: %s' % stop.reason)
    return harness.EXIT_OK
