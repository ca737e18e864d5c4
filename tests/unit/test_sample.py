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

"""The shipped sample run: made by our generator, published and served by one command."""
import hashlib
import io
import os
import subprocess
import sys
import urllib.request

from stackviz_publish import sample
from stackviz_publish.cli import main as cli_main

from tests.unit import publish_fixtures as fx

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_sample_is_tempest_like_and_reproducible(tmp_path):
    first = sample.make_sample(str(tmp_path / 'a'))
    sample.make_sample(str(tmp_path / 'b'))
    assert first['tests'] >= 2000 and first['workers'] > 1
    assert first['fail'] > 0 and first['skip'] > 0 and first['inprogress'] == 1
    for name in ('testrepository.subunit.gz', 'dstat-csv_log.txt'):
        assert digest(str(tmp_path / 'a' / name)) == digest(str(tmp_path / 'b' / name))


def test_sample_command_publishes(tmp_path, monkeypatch):
    monkeypatch.setenv('STACKVIZ_SITE', fx.write_site(str(tmp_path / 'site')))
    out, err = io.StringIO(), io.StringIO()
    code = cli_main.main(['sample', str(tmp_path / 'demo'), '--no-serve'], out, err)
    assert code == 0, err.getvalue()
    lines = out.getvalue().splitlines()
    assert lines[2].startswith('testrepository.subunit.gz: 3000 tests, ')
    assert ', 1 unfinished, ' in lines[2]
    data = tmp_path / 'demo' / 'logs' / 'stackviz' / 'data'
    assert (data / 'config.json').exists() and (data / 'dstat.csv.js').exists()


def test_sample_command_serves_and_prints_url(tmp_path):
    env = dict(os.environ, PYTHONPATH=REPO,
               STACKVIZ_SITE=fx.write_site(str(tmp_path / 'site')))
    proc = subprocess.Popen(
        [sys.executable, '-m', 'stackviz_publish.cli.main', 'sample', str(tmp_path / 'demo'),
         '--port', '0'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        for line in proc.stdout:
            if line.startswith('Serving '):
                break
        url = line.split(' at ')[1].split()[0]
        assert url.endswith('/stackviz/')
        with urllib.request.urlopen(url + 'data/config.json', timeout=10) as response:
            assert b'testrepository.subunit.gz' in response.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_sample_goes_to_the_cache_folder_not_the_current_one(tmp_path, monkeypatch):
    monkeypatch.setenv('STACKVIZ_SITE', fx.write_site(str(tmp_path / 'site')))
    monkeypatch.setenv('XDG_CACHE_HOME', str(tmp_path / 'cache'))
    (tmp_path / 'checkout').mkdir()
    monkeypatch.chdir(tmp_path / 'checkout')
    out, err = io.StringIO(), io.StringIO()
    assert cli_main.main(['sample', '--no-serve'], out, err) == 0, err.getvalue()
    assert os.listdir(str(tmp_path / 'checkout')) == []
    logs = tmp_path / 'cache' / 'stackviz-publish' / 'sample' / 'logs'
    assert out.getvalue().splitlines()[0] == (
        'stackviz-publish: sample run written to %s (3000 tests)' % logs)
    assert (logs / 'stackviz' / 'index.html').exists()
    # Without XDG_CACHE_HOME (or with a relative one): ~/.cache.
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    for environ in ({}, {'XDG_CACHE_HOME': 'relative'}):
        assert sample.default_dir(environ) == str(
            tmp_path / 'home' / '.cache' / 'stackviz-publish' / 'sample')


def test_sample_without_a_site_claims_none(tmp_path, monkeypatch):
    from stackviz_publish import sitefiles
    monkeypatch.delenv('STACKVIZ_SITE', raising=False)
    monkeypatch.setattr(sitefiles, 'IMAGE_SITE', str(tmp_path / 'no-image-site'))
    monkeypatch.setattr(sitefiles, 'PACKAGE_SITE', str(tmp_path / 'no-package-site'))
    out, err = io.StringIO(), io.StringIO()
    code = cli_main.main(['sample', str(tmp_path / 'demo'), '--no-serve'], out, err)
    assert code == 1
    assert 'index.html' not in out.getvalue() + err.getvalue()
    assert 'published data only, no site: ' in out.getvalue()
