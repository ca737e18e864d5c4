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

"""The CLI harness every command uses: escaped one-line messages, exit codes, --debug,
help texts with examples; and the exporter's refusal of an OUT it must not replace."""
import argparse
import io
import os
import re
import threading

import pytest

from stackviz_publish import export
from stackviz_publish import peak_memory
from stackviz_publish import stopping
from stackviz_publish.cli import export_cmd
from stackviz_publish.cli import harness
from stackviz_publish.cli import main as cli_main

from tests.unit.conftest import stream_bytes

HOSTILE = 'a\nstackviz-publish: published /etc/passwd\x1b[2J\x1b]0;owned\x07\r\u202eb\udcff'


def test_escape_keeps_one_line_and_no_control_characters():
    text = harness.escape(HOSTILE)
    assert '\n' not in text and '\r' not in text and '\x1b' not in text
    assert '\x07' not in text and '\u202e' not in text
    assert text == ('a\\x0astackviz-publish: published /etc/passwd\\x1b[2J\\x1b]0;owned'
                    '\\x07\\x0d\\u202eb\\xff')
    assert harness.escape('tempest.api (é) [id-1]') == 'tempest.api (é) [id-1]'


def test_reporter_writes_one_escaped_line_per_message():
    out, err = io.StringIO(), io.StringIO()
    reporter = harness.Reporter('prog', out, err)
    reporter.warn(HOSTILE)
    reporter.error(HOSTILE)
    reporter.info(HOSTILE)
    reporter.result(HOSTILE)
    assert len(err.getvalue().splitlines()) == 2 and len(out.getvalue().splitlines()) == 2
    assert err.getvalue().startswith('prog: warning: a\\x0a')
    assert out.getvalue().splitlines()[1].startswith('a\\x0a')   # results: no prefix
    assert reporter.warnings == 1
    assert '\x1b' not in out.getvalue() + err.getvalue()


def test_plural_and_summary_line_count_unfinished_tests():
    assert harness.plural(1, 'test') == '1 test' and harness.plural(0, 'test') == '0 tests'

    class Summary:
        name, tests, failures, skips, inprogress, wall_time = 'run', 1, 1, 0, 1, 2.0
    assert harness.summary_line(Summary) == \
        'run: 1 test, 1 failure, 0 skips, 1 unfinished, wall time 2.0 s'


def test_exported_summary_counts_unfinished_as_tests(tmp_path):
    (tmp_path / 's.subunit').write_bytes(stream_bytes(tests=10, unfinished=1, seed=4)[0])
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(['-f', str(tmp_path / 's.subunit'), str(tmp_path / 'o')], out, err)
    assert code == 0, err.getvalue()
    assert out.getvalue().startswith('%s: 10 tests, ' % (tmp_path / 's.subunit').name)
    assert ', 1 unfinished, ' in out.getvalue()


def test_hostile_file_names_never_reach_the_terminal_raw(tmp_path):
    """A file name with a newline and escape codes: one warning line, escaped."""
    from stackviz_publish.cli import publish_cmd
    logs = tmp_path / 'logs'
    logs.mkdir()
    evil = 'x\nstackviz-publish: published fake\x1b[31m.subunit'
    (logs / evil).write_bytes(b'not subunit at all\n' * 10)
    (logs / 'good.subunit').write_bytes(stream_bytes(tests=5)[0])
    args = cli_main.build_parser([publish_cmd]).parse_args(['publish', str(logs)])
    out, err = io.StringIO(), io.StringIO()
    publish_cmd.run(args, out, err, environ={})
    text = out.getvalue() + err.getvalue()
    assert '\x1b' not in text
    assert not any(line.startswith('stackviz-publish: published fake') for line in
                   text.splitlines())
    assert 'x\\x0astackviz-publish: published fake\\x1b[31m.subunit' in err.getvalue()


def test_usage_errors_are_escaped(capsys):
    with pytest.raises(SystemExit) as exit_:
        export_cmd.main(['out', '--bogus\x1b[2J\nforged'])
    assert exit_.value.code == harness.EXIT_USAGE
    err = capsys.readouterr().err
    assert '\x1b' not in err and 'forged' in err
    assert err.splitlines()[-1].startswith('stackviz-export: error: unrecognized')


def _all_parsers():
    modules = [__import__(name, fromlist=['x']) for name in cli_main.SUBCOMMANDS]
    top = cli_main.build_parser(modules)
    sub = next(a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    classic = harness.Parser(prog='stackviz-export')
    export_cmd.add_arguments(classic)
    return [top, classic] + list(sub.choices.values())


def test_every_command_has_an_example_and_positional_help():
    parsers = _all_parsers()
    assert len(parsers) >= 6   # the top parser, stackviz-export and each subcommand
    for parser in parsers:
        if parser.prog != 'stackviz-export':   # the classic parser: see main()
            assert 'example:\n  stackviz-' in parser.format_help(), parser.prog
        for action in parser._actions:
            if not action.option_strings and not isinstance(
                    action, argparse._SubParsersAction):
                assert action.help, '%s %s has no help' % (parser.prog, action.dest)
    out = io.StringIO()
    with pytest.raises(SystemExit):
        import contextlib
        with contextlib.redirect_stdout(out):
            export_cmd.main(['--help'])
    assert 'example:\n  stackviz-export -f ' in out.getvalue()


def test_debug_flag_on_every_command():
    for parser in _all_parsers()[1:]:
        assert any('--debug' in a.option_strings for a in parser._actions), parser.prog


def test_internal_error_is_one_line_unless_debug(monkeypatch, tmp_path):
    (tmp_path / 's.subunit').write_bytes(stream_bytes(tests=3)[0])

    def broken(*args, **kwargs):
        raise KeyError('bug')
    monkeypatch.setattr(export, 'export_runs', broken)
    argv = ['-f', str(tmp_path / 's.subunit'), str(tmp_path / 'o')]
    out, err = io.StringIO(), io.StringIO()
    assert export_cmd.main(argv, out, err) == harness.EXIT_ERROR
    assert err.getvalue() == ("stackviz-export: internal error: KeyError: 'bug' (run with "
                              "--debug for a traceback)\n")
    with pytest.raises(KeyError):
        export_cmd.main(argv + ['--debug'], out, err)


def test_time_limit_backstop_off_the_main_thread(tmp_path):
    """No signal reaches a thread: the export loop's checks stop it all the same."""
    (tmp_path / 's.subunit').write_bytes(stream_bytes(tests=3000, seed=8)[0])
    caught = []

    def work():
        with stopping.guarded(time_limit=1e-6):
            try:
                export.export_runs([export.Source('s', path=str(tmp_path / 's.subunit'))],
                                   str(tmp_path / 'o'), warn=lambda m: None)
            except stopping.TimeUp as stop:
                caught.append(stop)
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(60)
    assert caught and 'time limit' in caught[0].reason
    assert sorted(os.listdir(str(tmp_path))) == ['s.subunit']


# -- OUT: what the exporter refuses to replace -----------------------------------------

def _export(argv, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    code = export_cmd.main(argv, out, err, stdin=stdin)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def work(tmp_path, monkeypatch):
    """A folder holding a stream, made the current folder."""
    (tmp_path / 'in').mkdir()
    (tmp_path / 'in' / 's.subunit').write_bytes(stream_bytes(tests=5)[0])
    monkeypatch.chdir(tmp_path / 'in')
    return tmp_path


def _refused(argv, message):
    code, out, err = _export(argv)
    assert code == 1 and out == '', err
    assert err.count('\n') == 1 and err.startswith('stackviz-export: error: ')
    assert message in err, err


@pytest.mark.parametrize('out_dir', ['', '.', '..', '/', './', '../in'])
def test_refuses_the_current_folder_and_above(work, out_dir):
    before = sorted(os.listdir(str(work / 'in')))
    for extra in ([], ['--replace']):
        _refused(['-f', 's.subunit'] + extra + [out_dir],
                 'empty' if not out_dir else 'current folder')
    assert sorted(os.listdir(str(work / 'in'))) == before


def test_refuses_a_folder_holding_an_input(work, monkeypatch):
    (work / 'elsewhere').mkdir()
    monkeypatch.chdir(work / 'elsewhere')
    deep = work / 'a' / 'b'
    deep.mkdir(parents=True)
    (deep / 'd.csv').write_text('x')
    stream = str(work / 'in' / 's.subunit')
    for extra in ([], ['--replace']):
        _refused(['-f', stream] + extra + [str(work / 'in')], 'holds the input')
        _refused(['-f', stream] + extra + [str(work)], 'holds it')   # the cwd, too
        _refused(['-f', stream, '--dstat', str(deep / 'd.csv')] + extra + [str(work / 'a')],
                 'holds the input')
    assert os.path.isfile(stream) and os.path.isfile(str(deep / 'd.csv'))


def test_refuses_a_file_or_a_foreign_folder_unless_replace(work):
    (work / 'file').write_text('keep me')
    _refused(['-f', 's.subunit', str(work / 'file')], 'not a folder')
    assert (work / 'file').read_text() == 'keep me'
    (work / 'mine').mkdir()
    (work / 'mine' / 'notes.txt').write_text('keep me')
    _refused(['-f', 's.subunit', str(work / 'mine')], 'not a stackviz export')
    assert (work / 'mine' / 'notes.txt').read_text() == 'keep me'
    for target in ('file', 'mine'):
        code, _, err = _export(['-f', 's.subunit', '--replace', str(work / target)])
        assert code == 0, err
        assert os.path.isfile(str(work / target / 'config.json'))


def test_replaces_its_own_export_and_an_empty_folder(work):
    (work / 'empty').mkdir()
    assert _export(['-f', 's.subunit', str(work / 'empty')])[0] == 0
    assert _export(['-f', 's.subunit', '-z', str(work / 'empty')])[0] == 0   # ours now
    assert _export(['-f', 's.subunit', str(work / 'empty')])[0] == 0
    (work / 'empty' / 'extra.txt').write_text('someone else\'s')   # no longer only ours
    _refused(['-f', 's.subunit', str(work / 'empty')], 'not a stackviz export')


def test_devstack_call_into_a_copied_site(work, monkeypatch):
    """devstack: stackviz-export --env --stdin --dstat F STAGE/stackviz/data, where
    stackviz/ holds a copied site and data/ does not exist yet."""
    site = work / 'stage' / 'stackviz'
    site.mkdir(parents=True)
    (site / 'index.html').write_text('<html></html>')
    (work / 'dstat.csv').write_text('x')
    monkeypatch.setenv('ZUUL_PIPELINE', 'gate')
    code, out, err = _export(['--env', '--stdin', '--dstat', str(work / 'dstat.csv'),
                              str(site / 'data')],
                             stdin=io.BytesIO(stream_bytes(tests=5)[0]))
    assert code == 0, err
    assert (site / 'index.html').exists() and (site / 'data' / 'config.json').exists()
    assert sorted(os.listdir(str(site))) == ['data', 'index.html']
    assert sorted(os.listdir(str(site / 'data'))) == sorted(
        n for n in os.listdir(str(site / 'data')) if not n.startswith('.'))


def test_debug_tells_the_peak_memory():
    err = io.StringIO()
    reporter = harness.Reporter('prog', io.StringIO(), err)
    assert harness.execute(reporter, lambda: 0, debug=True) == 0
    if peak_memory.peak_bytes():      # Linux: /proc/self/status
        assert re.match(r'prog: debug: peak memory \(RSS\) \d+\.\d MB\n$', err.getvalue())
    quiet = io.StringIO()
    harness.execute(harness.Reporter('prog', io.StringIO(), quiet), lambda: 0)
    assert quiet.getvalue() == ''


def test_peak_memory_reset_starts_again_from_now():
    if not peak_memory.reset_peak():
        pytest.skip('this kernel does not let the process reset its peak RSS')
    big = bytearray(64 << 20)
    big[::4096] = b'x' * len(big[::4096])     # touch every page
    grown = peak_memory.peak_bytes()
    del big
    assert peak_memory.reset_peak()
    assert peak_memory.peak_bytes() < grown - (32 << 20)
    assert peak_memory.rss_bytes() <= peak_memory.peak_bytes()
