// Copyright stackviz-publish developers.
//
// Licensed under the Apache License, Version 2.0 (the "License"); you may
// not use this file except in compliance with the License. You may obtain
// a copy of the License at
//
//      http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
// WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
// License for the specific language governing permissions and limitations
// under the License.


// Format v2 on the site side: data scripts read without eval, the id index (CRC-32
// or FNV-1a buckets) and a test's entry found through it, on hand-written samples made as
// doc/source/data-format.rst ("Data scripts", "Id index") says.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { HttpSource, ScriptSource, isDataScript, splitDataScript } from '../../.build/lib/loader.mjs';
import { crc32, fnv1a32, hashNamed, readBucket, shardsFor } from '../../.build/lib/idindex.mjs';
import { readConfig } from '../../.build/lib/model.mjs';
import { FetchingStore, attachmentsOf, hasIdIndex } from '../../.build/lib/store.mjs';

/** A JSON string literal in ASCII, as Python's encode_basestring_ascii writes it. */
function asciiLiteral(s) {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A data script holding `text`, in one of the three encodings. */
function dataScript(path, text, encoding = 'gzip-base64') {
  const payload = encoding === 'gzip-base64' ? `"${gzipSync(Buffer.from(text, 'utf8')).toString('base64')}"` : asciiLiteral(text);
  return `stackvizData(${asciiLiteral(path)}, "${encoding}", ${payload});\n`;
}

/** An HttpSource over an object of path -> file text (404 for the rest). */
function httpOver(files) {
  return new HttpSource('data/', async (url) => {
    const body = files[url.slice(5)];
    return { ok: body !== undefined, status: body !== undefined ? 200 : 404,
      arrayBuffer: async () => Buffer.from(body || ''), text: async () => body };
  });
}

describe('fnv1a32', () => {
  it('gives the reference values', () => {
    assert.equal(fnv1a32(''), 2166136261);
    assert.equal(fnv1a32('a'), 0xe40c292c);
    assert.equal(fnv1a32('foobar'), 0xbf9cf968);
  });
  it('hashes the UTF-8 bytes, not UTF-16 code units', () => {
    // "é" is C3 A9 in UTF-8: the same as hashing those two bytes as Latin-1 chars.
    const bytes = (codes) => codes.reduce((h, b) => Math.imul(h ^ b, 0x01000193) >>> 0, 0x811c9dc5);
    assert.equal(fnv1a32('é'), bytes([0xc3, 0xa9]));
    assert.equal(fnv1a32('😀'), bytes([0xf0, 0x9f, 0x98, 0x80]));
    assert.ok(fnv1a32('é') >= 0 && fnv1a32('😀') < 2 ** 32);
  });
});

describe('crc32', () => {
  it('gives the reference values', () => {
    assert.equal(crc32(''), 0);
    assert.equal(crc32('a'), 0xe8b7be43);
    assert.equal(crc32('123456789'), 0xcbf43926);
    assert.equal(crc32('é€'), 0x2447225d);
  });
  it('is the hash an index names, and only a known one', () => {
    assert.equal(hashNamed('crc32'), crc32);
    assert.equal(hashNamed('fnv1a32'), fnv1a32);
    for (const n of ['md5', 'constructor', '__proto__', null, 3]) assert.equal(hashNamed(n), null, String(n));
  });
  it('spreads ids over the buckets', () => {
    for (const hash of [crc32, fnv1a32]) {
      const counts = new Array(8).fill(0);
      for (let i = 0; i < 8000; i++) counts[hash(`tempest.api.compute.test_servers.ServersTest.test_${i}`) % 8]++;
      assert.ok(counts.every((c) => c > 800 && c < 1200), counts.join(' '));
    }
  });
});

describe('id index buckets', () => {
  it('finds every shard of an equal hash, and none for an absent one', () => {
    const b = readBucket({ hash: [5, 9, 9, 9, 12], shard: [0, 1, 3, 1, 2] });
    assert.deepEqual(shardsFor(b, 9), [1, 3]);
    assert.deepEqual(shardsFor(b, 5), [0]);
    assert.deepEqual(shardsFor(b, 12), [2]);
    assert.deepEqual(shardsFor(b, 7), []);
    assert.deepEqual(shardsFor(b, 13), []);
  });
  it('refuses what is not a bucket', () => {
    for (const v of [null, [], { hash: [1] }, { hash: [1], shard: [] }, { hash: ['1'], shard: [0] }]) {
      assert.equal(readBucket(v), null, JSON.stringify(v));
    }
  });
});

describe('data scripts', () => {
  const text = JSON.stringify({ a: 'é </script> "quoted" \\ back', b: [1, 2] });
  it('reads the three literals of every encoding', async () => {
    for (const enc of ['gzip-base64', 'json', 'text']) {
      const got = splitDataScript(dataScript('x-0-stats.js', text, enc), 'x-0-stats.js');
      assert.equal(got.path, 'x-0-stats.js');
      assert.equal(got.encoding, enc);
      if (enc !== 'gzip-base64') assert.equal(got.payload, text);
    }
    assert.ok(isDataScript('x-0-tests/3.js') && !isDataScript('x-0-raw.json') && !isDataScript('x-0-raw.json.gz'));
  });
  it('refuses what is not one stackvizData statement, without running it', () => {
    const bad = ['alert(1);', 'stackvizData("a.js", "json", "x")', 'stackvizData("a.js", "json");\n',
      'stackvizData("a.js" "json", "x");', 'stackvizData("a.js", "json", "x"); alert(1);',
      'stackvizData("a.js", "json", "x\\");', 'stackvizData("a.js", "json", "\\q");'];
    for (const s of bad) assert.throws(() => splitDataScript(s, 'a.js'), /^Error: a\.js is not a stackviz data script \(/, s);
  });
  it('is fetched over HTTP as text, checked and decoded', async () => {
    const src = httpOver({
      'a-stats.js': dataScript('a-stats.js', text),
      'b-stats.js': dataScript('b-stats.js', text, 'json'),
      'c.csv.js': dataScript('c.csv.js', 'a,b\n1,2\n', 'text'),
      'moved.js': dataScript('other.js', text),
      'cut.js': dataScript('cut.js', text).slice(0, 40),
      'notgzip.js': `stackvizData("notgzip.js", "gzip-base64", "${Buffer.from(text).toString('base64')}");\n`,
      'badb64.js': 'stackvizData("badb64.js", "gzip-base64", "@@@@");\n',
    });
    assert.equal(await src.text('a-stats.js'), text);
    assert.equal(await src.text('b-stats.js'), text);
    assert.equal(await src.text('c.csv.js'), 'a,b\n1,2\n');
    await assert.rejects(src.text('moved.js'), /^Error: moved\.js holds the data of "other\.js"$/);
    await assert.rejects(src.text('cut.js'), /^Error: cut\.js is not a stackviz data script/);
    // Base64 of plain text is taken as it is (a gzip-less payload); bad base64 is an error.
    assert.equal(await src.text('notgzip.js'), text);
    await assert.rejects(src.text('badb64.js'), /^Error: badb64\.js could not be decoded/);
    // A missing script is a 404, with no .gz retry (a data script never has one).
    await assert.rejects(src.text('gone.js'), /^Error: gone\.js: HTTP 404$/);
    assert.deepEqual(src.requested, ['a-stats.js', 'b-stats.js', 'c.csv.js', 'moved.js', 'cut.js', 'notgzip.js',
      'badb64.js', 'gone.js']);
  });
  it('still loads v1 files and their .gz variants', async () => {
    const src = httpOver({ 'x-raw.json.gz': gzipSync(text), 'y-raw.json': text });
    assert.equal(await src.text('x-raw.json'), text);
    assert.equal(await src.text('y-raw.json'), text);
  });
  it('is loaded with a script element from file://', async () => {
    // A fake document: "loading" a script calls stackvizData as the browser would.
    const win = {};
    const scripts = { 'data/p-tests/0.js': dataScript('p-tests/0.js', text) };
    const doc = {
      head: { appendChild: (el) => setTimeout(() => {
        const m = /^stackvizData\(("[^"]*"), ("[^"]*"), (".*")\);\n$/.exec(scripts[el.src]);
        win.stackvizData(JSON.parse(m[1]), JSON.parse(m[2]), JSON.parse(m[3]));
        el.onload();
      }) },
      createElement: () => ({ remove() {} }),
    };
    const src = new ScriptSource('data/', doc, win);
    assert.equal(await src.text('p-tests/0.js', 'p-tests/0.js'), text);
  });
});

/** A v2 run of `tests` (id -> entry) in shards of `per` tests, with `buckets` id buckets. */
function v2Run(entries, { per = 2, buckets = 2, encoding = 'gzip-base64', prefix = 'r-0', hash = 'crc32' } = {}) {
  const h = hashNamed(hash);
  const files = {};
  const ids = Object.keys(entries);
  const shards = Math.ceil(ids.length / per);
  const lists = Array.from({ length: buckets }, () => []);
  for (let k = 0; k < shards; k++) {
    const shard = {};
    for (const id of ids.slice(k * per, (k + 1) * per)) {
      shard[id] = entries[id];
      lists[h(id) % buckets].push([h(id), k]);
    }
    files[`${prefix}-tests/${k}.js`] = dataScript(`${prefix}-tests/${k}.js`, JSON.stringify(shard), encoding);
  }
  lists.forEach((l, b) => {
    l.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    files[`${prefix}-ids/${b}.js`] = dataScript(`${prefix}-ids/${b}.js`,
      JSON.stringify({ hash: l.map((x) => x[0]), shard: l.map((x) => x[1]) }), encoding);
  });
  const art = (path, type, extra = {}) => ({ path, script_path: path, artifact_name: 'r', artifact_type: type,
    content_type: 'application/json', content_encoding: encoding, ...extra });
  const config = { format_version: 2, datasets: [{ artifacts: [
    art(`${prefix}-timeline.js`, 'stackviz-timeline', { primary: true }),
    art(`${prefix}-stats.js`, 'subunit-stats'),
    art(`${prefix}-tests/`, 'stackviz-tests', { shard_count: shards, suffix: '.js' }),
    art(`${prefix}-ids/`, 'stackviz-ids', { bucket_count: buckets, suffix: '.js', hash }),
  ] }] };
  return { files, config };
}

function testEntry(id, status = 'success', details = {}) {
  return { name: id.replace(/\[.*\]$/, ''), id, status, tags: ['worker-1'], worker: 1, duration: 1.5,
    timestamps: ['2018-09-28T02:46:35.000000+00:00', '2018-09-28T02:46:36.500000+00:00'], details };
}

describe('a test found through the id index', () => {
  const ids = ['tempest.a.T.test_1[id-1,smoke]', 'tempest.a.T.test_2', 'tempest.b.é.test_3', 'tempest.b.U.test_4',
    'tempest.c.V.test_5', 'constructor'];
  const entries = Object.fromEntries(ids.map((id, i) => [id, testEntry(id, i === 2 ? 'fail' : 'success',
    i === 2 ? { traceback: 'Traceback\nValueError: x' } : {})]));

  it('reads the v2 run reference from config.json', () => {
    const { config } = v2Run(entries);
    const [ref] = readConfig(config).runs;
    assert.equal(ref.raw, null);
    assert.equal(ref.timeline.path, 'r-0-timeline.js');
    assert.equal(ref.tests.shard_count, 3);
    assert.equal(ref.ids.bucket_count, 2);
    assert.equal(ref.stats.path, 'r-0-stats.js');
  });

  for (const [encoding, hash] of [['gzip-base64', 'crc32'], ['json', 'crc32'], ['gzip-base64', 'fnv1a32']]) {
    it(`loads only the id's bucket and its shard (${encoding}, ${hash})`, async () => {
      const { files, config } = v2Run(entries, { encoding, hash });
      const src = httpOver(files);
      const index = readConfig(config);
      const store = new FetchingStore(src, () => index, () => {});
      const [ref] = index.runs;
      assert.ok(hasIdIndex(ref));
      const got = await store.entryOf(ref, 'tempest.b.é.test_3');
      assert.equal(got.status, 'fail');
      assert.deepEqual(attachmentsOf(got), { traceback: 'Traceback\nValueError: x' });
      assert.deepEqual(src.requested, [`r-0-ids/${hashNamed(hash)('tempest.b.é.test_3') % 2}.js`, 'r-0-tests/1.js']);
      assert.equal(await store.entryOf(ref, 'tempest.nope'), null);
      assert.equal((await store.entryOf(ref, 'constructor')).id, 'constructor');
      assert.ok(!src.requested.some((p) => p.includes('timeline')), 'the timeline is not fetched');
    });
  }

  it('takes an index with an unknown hash or no buckets for no index', async () => {
    const { files, config } = v2Run(entries);
    const index = readConfig(config);
    const src = httpOver(files);
    const store = new FetchingStore(src, () => index, () => {});
    for (const change of [{ hash: 'sha1' }, { bucket_count: 0 }, { bucket_count: 1.5 }, { bucket_count: '2' }]) {
      const ref = { ...index.runs[0], ids: { ...index.runs[0].ids, ...change } };
      assert.equal(hasIdIndex(ref), false, JSON.stringify(change));
      assert.equal(await store.entryOf(ref, ids[0]), null);
    }
    assert.deepEqual(src.requested, []);
  });

  it('looks in every shard named by an equal hash (a collision)', async () => {
    const { files, config } = v2Run(entries, { buckets: 1 });
    // Forge a collision: the bucket claims test_5's hash is also in shards 0 and 1.
    const h = crc32('tempest.c.V.test_5');
    const list = ids.map((id, i) => [crc32(id), Math.floor(i / 2)]);
    list.push([h, 0], [h, 1]);
    list.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    files['r-0-ids/0.js'] = dataScript('r-0-ids/0.js', JSON.stringify({ hash: list.map((x) => x[0]), shard: list.map((x) => x[1]) }));
    const src = httpOver(files);
    const index = readConfig(config);
    const store = new FetchingStore(src, () => index, () => {});
    const got = await store.entryOf(index.runs[0], 'tempest.c.V.test_5');
    assert.equal(got.id, 'tempest.c.V.test_5');
    assert.deepEqual(src.requested, ['r-0-ids/0.js', 'r-0-tests/0.js', 'r-0-tests/1.js', 'r-0-tests/2.js']);
  });

  it('says which file is damaged', async () => {
    const { files, config } = v2Run(entries, { buckets: 1 });
    files['r-0-ids/0.js'] = dataScript('r-0-ids/0.js', '{"hash": [1]}');
    const index = readConfig(config);
    const store = new FetchingStore(httpOver(files), () => index, () => {});
    await assert.rejects(store.entryOf(index.runs[0], 'x'), /^Error: r-0-ids\/0\.js is not an id index bucket$/);
    const files2 = v2Run(entries, { buckets: 1 }).files;
    files2['r-0-tests/0.js'] = dataScript('r-0-tests/0.js', 'null');
    const store2 = new FetchingStore(httpOver(files2), () => index, () => {});
    await assert.rejects(store2.entryOf(index.runs[0], ids[0]), /^Error: r-0-tests\/0\.js is not an object keyed by test id$/);
  });
});

describe("the summary's first screen (P-summary.js)", () => {
  const stats = { count: 3, counts: { success: 1, fail: 2 }, start: '2018-09-28T02:46:35Z',
    failures: [{ id: 'a.T.test_1', name: 'a.T.test_1', details: ['ValueError: x'] }],
    triage: { failure_groups: [{ cause: 'ValueError: x', count: 2, tests: ['a.T.test_1'], more_tests: 1 }] } };

  for (const encoding of ['gzip-base64', 'json']) {
    it(`is read from its own artifact, the stats untouched (${encoding})`, async () => {
      const files = { 'r-0-summary.js': dataScript('r-0-summary.js', JSON.stringify(stats), encoding) };
      const art = (path, type) => ({ path, script_path: path, artifact_name: 'r', artifact_type: type, content_encoding: encoding });
      const index = readConfig({ format_version: 2, datasets: [{ artifacts: [
        art('r-0-timeline.js', 'stackviz-timeline'), art('r-0-stats.js', 'subunit-stats'), art('r-0-summary.js', 'stackviz-summary')] }] });
      const [ref] = index.runs;
      assert.equal(ref.summary.path, 'r-0-summary.js');
      const src = httpOver(files);
      const store = new FetchingStore(src, () => index, () => {});
      const got = await store.firstScreenOf(ref);
      assert.deepEqual(got.triage, stats.triage);
      assert.equal(got.count, 3);
      assert.deepEqual(src.requested, ['r-0-summary.js']);
    });
  }

  it('is null for output without one (older v2, v1, classic): the site starts from the stats', async () => {
    const index = readConfig({ format_version: 2, datasets: [{ artifacts: [
      { path: 'r-0-timeline.js', artifact_name: 'r', artifact_type: 'stackviz-timeline' },
      { path: 'r-0-stats.js', artifact_name: 'r', artifact_type: 'subunit-stats' }] }] });
    const [ref] = index.runs;
    assert.equal(ref.summary, null);
    const src = httpOver({});
    assert.equal(await new FetchingStore(src, () => index, () => {}).firstScreenOf(ref), null);
    assert.deepEqual(src.requested, []);
  });
});
