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

// Builds the site into ../stackviz_publish/site/ (index.html with its inline script and style sheet, app.js),
// and the pure modules into .build/lib/ for the unit tests.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'stackviz_publish', 'site');

const target = ['es2020', 'chrome100', 'firefox100', 'safari15'];
// The page's scripts: one file each, no modules (file:// has none). NOMIN=1 keeps
// the names readable, for CPU profiles.
const SCRIPT = { bundle: true, minify: !process.env.NOMIN, sourcemap: false, target, format: 'iife', legalComments: 'none', logLevel: 'warning' };
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// The timeline decoding worker, embedded in app.js as a string: the page starts it
// from a Blob URL, so the site stays one static folder that works from file:// too.
const worker = await build({
  entryPoints: [join(here, 'src', 'timelineworker.ts')],
  write: false,
  bundle: true,
  minify: true,
  target,
  format: 'iife',
  legalComments: 'none',
  logLevel: 'warning',
});
// Also a file of its own, which the page's first script starts over HTTP on a big
// run's timeline (src/early.ts): before app.js has come.
writeFileSync(join(out, 'timeline-worker.js'), worker.outputFiles[0].text);
await build({
  ...SCRIPT,
  entryPoints: [join(here, 'src', 'main.ts')],
  outfile: join(out, 'app.js'),
  define: { __TIMELINE_WORKER__: JSON.stringify(worker.outputFiles[0].text) },
});
// The page's first script, inline in index.html's head (no request of its own before
// config.json's): config.json and the summary's first screen, then it adds app.js
// (see src/boot.ts). Its modules are bundled in app.js too: no module state is shared
// between the two (the app takes over what it loaded through window.__stackvizBoot).
// It is allowed by its sha256 in the page's Content-Security-Policy, so no other
// inline script can run.
const inline = async (name) => (await build({ ...SCRIPT, entryPoints: [join(here, 'src', `${name}.ts`)], outfile: `${name}.js`, write: false }))
  .outputFiles[0].text.trim();
// Two inline scripts: a small one that only sends the first requests, then the rest
// of the boot script: the requests no longer wait while the rest is compiled and
// evaluated (10 to 15 ms on this kind of machine).
const start = await inline('bootstart');
const boot = await inline('boot');
// The style sheet is inline too (pinned by its sha256 in the policy's style-src): a
// style sheet file held the first frame until it came, and the first frame is the
// one that pays for setting up the fonts (20 to 40 ms), which then delayed the
// handling of config.json; inline, that frame comes while config.json is on its way.
const style = (await build({ entryPoints: [join(here, 'src', 'style.css')], outfile: 'app.css', write: false, minify: true, logLevel: 'warning' }))
  .outputFiles[0].text.trim();
for (const [name, text] of [['bootstart', start], ['boot', boot]]) {
  if (/<\/script|<!--/i.test(text)) throw new Error(`${name}.ts: its bundle cannot be inlined as it is`);
}
if (/<\/style|<!--/i.test(style)) throw new Error('style.css: it cannot be inlined as it is');
const sha = (text) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
const html = readFileSync(join(here, 'src', 'index.html'), 'utf8');
for (const place of ['START_SCRIPT', 'START_HASH', 'BOOT_SCRIPT', 'BOOT_HASH', 'STYLE_SHEET', 'STYLE_HASH']) {
  if (!html.includes(place)) throw new Error(`index.html: no place for ${place}`);
}
writeFileSync(join(out, 'index.html'), html.replace('START_HASH', sha(start)).replace('BOOT_HASH', sha(boot))
  .replace('STYLE_HASH', sha(style)).replace('START_SCRIPT', () => start).replace('BOOT_SCRIPT', () => boot)
  .replace('STYLE_SHEET', () => style));

// Modules without DOM use, as ES modules the node test runner can import.
rmSync(join(here, '.build', 'lib'), { recursive: true, force: true });
await build({
  entryPoints: ['format', 'iso', 'route', 'loader', 'model', 'columns', 'datascript', 'timelinedecode', 'dstat', 'logfilter', 'axis', 'timefmt', 'triage', 'servicelogs', 'idindex', 'store', 'laneruns', 'pixels'].map((m) => join(here, 'src', `${m}.ts`)),
  outdir: join(here, '.build', 'lib'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // Shared modules become shared chunks: the time notation set through timefmt is
  // the one axis and route read, as in the page.
  splitting: true,
  format: 'esm',
  platform: 'neutral',
  logLevel: 'warning',
});
console.log(`site built in ${out}`);
