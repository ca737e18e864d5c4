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

// A small static server for the browser tests and the benchmark, on 127.0.0.1.
// gzipMode 'raw': `.gz` files go out as bytes without Content-Encoding (object
// storage); 'encoding': they go out with Content-Encoding: gzip (Apache rules);
// 'compress': .js files are also gzipped on the fly (a server compressing scripts).
// Every request path is recorded, so tests can check what the page fetched, and
// the bytes of each body sent (`sent`: [path, bytes]), so they can count them.
import { createServer } from 'node:http';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { extname, join, normalize, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.csv': 'text/csv',
  '.png': 'image/png',
};

export function serve(root, { gzipMode = 'raw' } = {}) {
  const requests = [];
  const sent = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    let rel;
    try {
      rel = decodeURIComponent(url.pathname);
    } catch {
      res.writeHead(400).end();
      return;
    }
    requests.push(rel);
    if (rel.endsWith('/')) rel += 'index.html';
    const file = normalize(join(root, rel));
    if (!file.startsWith(normalize(root) + sep) && file !== normalize(root)) {
      res.writeHead(403).end();
      return;
    }
    let st;
    try {
      st = statSync(file);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    if (!st.isFile()) {
      res.writeHead(404).end();
      return;
    }
    const headers = { 'Content-Length': st.size, 'Cache-Control': 'no-store' };
    if (file.endsWith('.gz')) {
      const inner = extname(file.slice(0, -3));
      if (gzipMode === 'encoding') {
        headers['Content-Type'] = TYPES[inner] || 'application/octet-stream';
        headers['Content-Encoding'] = 'gzip';
      } else {
        headers['Content-Type'] = 'application/gzip';
      }
    } else {
      headers['Content-Type'] = TYPES[extname(file)] || 'application/octet-stream';
    }
    if (gzipMode === 'compress' && file.endsWith('.js')) {
      const body = gzipSync(readFileSync(file));
      res.writeHead(200, { ...headers, 'Content-Length': body.length, 'Content-Encoding': 'gzip' });
      sent.push([rel, body.length]);
      res.end(body);
      return;
    }
    res.writeHead(200, headers);
    sent.push([rel, st.size]);
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        requests,
        sent,
        close: () => new Promise((r) => server.close(r)),
      });
    });
  });
}

/** Servers started on demand (`site(dir, gzipMode)`), all closed by `closeAll()`. */
export function serverPool() {
  const started = [];
  return {
    async site(root, gzipMode = 'raw') {
      const s = await serve(root, { gzipMode });
      started.push(s);
      return s;
    },
    async closeAll() {
      for (const s of started.splice(0)) await s.close();
    },
  };
}

// Run by hand: node server.mjs ROOT [raw|encoding] [port]
if (process.argv[1] && process.argv[1].endsWith('server.mjs') && process.argv[2]) {
  serve(process.argv[2], { gzipMode: process.argv[3] || 'raw' }).then((s) => console.log(s.url));
}
