"""``stackviz-publish view URL``: build a job's site from its logs URL and serve it."""
import os
import webbrowser

from stackviz_publish import export
from stackviz_publish import metadata
from stackviz_publish import publish
from stackviz_publish import remote
from stackviz_publish import safety
from stackviz_publish import serve
from stackviz_publish import sitefiles
from stackviz_publish import view
from stackviz_publish.cli import publish_cmd

PROG = 'stackviz-publish'
EXIT_ERROR = 1
EXIT_NOTHING = 3
DEFAULT_PORT = 8000
# Problems with the URL, the network, the input or the cache: one line, no traceback.
EXPECTED_ERRORS = (view.ViewError, remote.FetchError, export.ExportError,
                   safety.UnsafePathError, sitefiles.SiteError, metadata.MetadataError,
                   OSError)


def seconds(text):
    value = float(text)
    if not value > 0:
        raise ValueError(text)
    return value


def add_parser(subparsers):
    parser = subparsers.add_parser(
        'view', help='build the site of any job from its logs URL and serve it',
        description='Find the run\'s files under URL (a job\'s logs URL, a Zuul build '
                    'page or API URL, or a subunit file\'s URL), download them into a '
                    'cache folder, build the site there and serve it on %s. A second '
                    'view of the same URL opens from the cache.' % serve.HOST)
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
    parser.set_defaults(run=run)
    return parser


def run(args, stdout, stderr, environ=None, serve_until=None):
    """``serve_until``: tests pass a callable that gets the URL and returns when done."""
    environ = os.environ if environ is None else environ

    def warn(message):
        stderr.write('%s: warning: %s\n' % (PROG, message))

    def inform(message):
        stdout.write('%s: note: %s\n' % (PROG, message))
        stdout.flush()

    opts = view.Options(args.url, out=args.out, rebuild=args.rebuild, site=args.site,
                        environ=environ)
    fetcher = remote.Fetcher(args.timeout, remote.Budget(args.max_download),
                             remote.Progress(stderr))
    try:
        result = view.view(opts, fetcher, warn, inform)
    except view.NothingFound as exc:
        stderr.write('%s: %s\n' % (PROG, exc))
        return EXIT_NOTHING
    except EXPECTED_ERRORS as exc:
        stderr.write('%s: error: %s\n' % (PROG, publish_cmd._one_line(exc)))
        return EXIT_ERROR
    except Exception as exc:
        if environ.get('STACKVIZ_DEBUG'):
            raise
        stderr.write('%s: internal error: %s: %s\n' % (
            PROG, type(exc).__name__, publish_cmd._one_line(exc)))
        return EXIT_ERROR
    if result.kind == view.PUBLISHED:
        stdout.write('%s: %s site: %s\n' % (
            PROG, 'cached: the job\'s own' if result.cached else 'the job\'s own',
            remote.printable(result.published_url)))
        if args.open:
            webbrowser.open(result.published_url)
        return 0
    index = os.path.join(result.site_dir, 'index.html')
    if result.cached:
        stdout.write('%s: from the cache: %s (--rebuild builds it again)\n' % (PROG, index))
    else:
        stdout.write('%s: built %s (%s)\n' % (
            PROG, index, publish.human_size(publish.tree_size(result.site_dir))))
        for summary in result.summaries:
            stdout.write(publish_cmd.summary_line(summary) + '\n')
    if not args.serve:
        return 0
    return _serve(result.site_dir, args.port, args.open, stdout, stderr, serve_until)


def _serve(directory, port, open_browser, stdout, stderr, serve_until):
    try:
        server = serve.make_server(directory, DEFAULT_PORT if port is None else port)
    except OSError as exc:
        if port is not None:
            stderr.write('%s: error: cannot listen on port %d: %s\n'
                         % (PROG, port, exc.strerror or exc))
            return EXIT_ERROR
        server = serve.make_server(directory, 0)   # the default port is taken
    with server:
        url = serve.url(server, directory)
        stdout.write('Serving %s at %s (Ctrl-C to stop)\n' % (directory, url))
        stdout.flush()
        if open_browser:
            webbrowser.open(url)
        if serve_until is not None:
            serve.serve_in_thread(server)
            try:
                serve_until(url)
            finally:
                server.shutdown()
            return 0
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
