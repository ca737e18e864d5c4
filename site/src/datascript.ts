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

// Data scripts (format v2, doc/source/data-format.rst): one statement,
//   stackvizData("<path>", "<encoding>", "<payload>");
// Fetched over HTTP, the three JSON string literals are read without eval.

export interface DataScript {
  path: string;
  encoding: string;
  payload: string;
}

const HEAD = 'stackvizData(';

/** End (index after the closing quote) of the JSON string literal starting at ``at``. */
function literalEnd(text: string, at: number, name: string): number {
  if (text.charCodeAt(at) !== 34) throw new Error(`${name} is not a stackviz data script`);
  for (let i = at + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i + 1;
  }
  throw new Error(`${name} is not a stackviz data script (unterminated string)`);
}

function literal(text: string, from: number, to: number, name: string): string {
  try {
    return JSON.parse(text.slice(from, to));
  } catch {
    throw new Error(`${name} is not a stackviz data script (bad string)`);
  }
}

/** After a literal: a comma and optional blanks. */
function nextArg(text: string, at: number, name: string): number {
  if (text.charCodeAt(at) !== 44) throw new Error(`${name} is not a stackviz data script`);
  at++;
  while (text.charCodeAt(at) === 32) at++;
  return at;
}

/** The three arguments of a data script's statement. A gzip-base64 payload has no
 * escapes: it is sliced between its quotes, not parsed (a 10 MB payload at 500k tests). */
export function splitDataScript(text: string, name: string): DataScript {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) <= 32) end--;
  if (!text.startsWith(HEAD) || !text.startsWith('");', end - 3)) {
    throw new Error(`${name} is not a stackviz data script`);
  }
  let at = HEAD.length;
  const pathEnd = literalEnd(text, at, name);
  const path = literal(text, at, pathEnd, name);
  at = nextArg(text, pathEnd, name);
  const encEnd = literalEnd(text, at, name);
  const encoding = literal(text, at, encEnd, name);
  at = nextArg(text, encEnd, name);
  if (text.charCodeAt(at) !== 34 || at > end - 3) throw new Error(`${name} is not a stackviz data script`);
  const payload = encoding === 'gzip-base64'
    ? text.slice(at + 1, end - 3)
    : literal(text, at, end - 2, name);
  if (typeof path !== 'string' || typeof encoding !== 'string' || typeof payload !== 'string') {
    throw new Error(`${name} is not a stackviz data script`);
  }
  return { path, encoding, payload };
}
