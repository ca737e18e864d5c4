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

// What went wrong, grouped: unfinished tests, failures by cause and skips by
// reason. The groups come from stats.json's "triage" extension (computed by the
// exporter, see data-format.rst); classic data has none, so failures are then
// grouped here by their exact exception line, which is cheap and still useful.
import { Stats, field, statsTests } from './format';
import { INPROGRESS, Run } from './model';

export type GroupKind = 'inprogress' | 'fail' | 'skip';

export interface Group {
  kind: GroupKind;
  cause: string;
  message: string[];
  count: number;
  ids: string[];
  /** members not listed (the export caps each group's list) */
  more: number;
  /** classes failed as a whole by a setUpClass / tearDownClass failure */
  classes: string[];
}

export interface Triage {
  groups: Group[];
  /** failures in groups the export did not list */
  notListed: { groups: number; tests: number };
  names: Map<string, string>;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x) => typeof x === 'string') : []);
const num = (v: unknown): number => (typeof v === 'number' && isFinite(v) && v >= 0 ? v : 0);

/** The message from its exception line on (what follows the last frame). */
export function exceptionLines(message: string[]): string[] {
  for (let i = message.length - 1; i >= 0; i--) {
    if (message[i].startsWith('  File "')) {
      let rest = message.slice(i + 1);
      while (rest.length && rest[0].startsWith(' ')) rest = rest.slice(1);
      return rest.length ? rest : message.slice(i);
    }
  }
  return message;
}

function exported(list: unknown, kind: GroupKind): Group[] | null {
  if (!Array.isArray(list)) return null;
  const out: Group[] = [];
  for (const g of statsTests(list)) {
    if (typeof g.cause !== 'string') continue;
    const ids = strings(g.tests);
    out.push({
      kind, cause: g.cause, message: strings(g.message), count: num(g.count) || ids.length,
      ids, more: num(g.more_tests), classes: strings(g.classes),
    });
  }
  return out;
}

function grouped(items: { id: string; key: string; message: string[] }[], kind: GroupKind): Group[] {
  const by = new Map<string, Group>();
  for (const it of items) {
    let g = by.get(it.key);
    if (!g) {
      g = { kind, cause: it.key, message: it.message.slice(0, 6), count: 0, ids: [], more: 0, classes: [] };
      by.set(it.key, g);
    }
    g.count++;
    g.ids.push(it.id);
  }
  // Array.prototype.sort is stable: equal counts keep their first member's order.
  return [...by.values()].sort((a, b) => b.count - a.count);
}

const FIXTURE = /\.(setUpClass|tearDownClass|setUpModule|tearDownModule)$/;

/** The class a fixture failure fails as a whole, or null. */
export function fixtureClass(name: string): string | null {
  const m = FIXTURE.exec(name);
  if (m) return name.slice(0, m.index);
  const classic = /^(setUpClass|tearDownClass) \((.+)\)$/.exec(name);
  return classic ? classic[2] : null;
}

/** Groups from stats.json (v1 triage) or, failing that, from the run. */
export function readTriage(stats: Stats | null, run: Run | null): Triage {
  const names = new Map<string, string>();
  const note = (id: unknown, name: unknown) => {
    if (typeof name === 'string') names.set(typeof id === 'string' ? id : name, name);
  };
  if (run) {
    for (const t of run.tests) if (!names.has(t.id)) names.set(t.id, t.name);
  } else {
    for (const f of statsTests(stats?.failures)) note(f.id, f.name);
    for (const f of statsTests(stats?.skips)) note(f.id, f.name);
    for (const f of statsTests(stats?.inprogress)) note(f.id, f.name);
  }
  const groups: Group[] = [];
  const unfinished = run
    ? run.tests.filter((t) => t.status === INPROGRESS).map((t) => t.id)
    : statsTests(stats?.inprogress)
      .filter((t) => typeof t.name === 'string')
      .map((t) => (typeof t.id === 'string' ? t.id : t.name as string));
  if (unfinished.length) {
    groups.push({ kind: 'inprogress', cause: 'Never finished: still running when the stream ended',
      message: [], count: unfinished.length, ids: unfinished, more: 0, classes: [] });
  }
  const tri = stats?.triage;
  let fails = exported(field(tri, 'failure_groups'), 'fail');
  if (!fails) {
    const items = run
      ? run.failures.filter((f) => !(f.test && f.test.status === INPROGRESS))
        .map((f) => ({ id: f.id, given: f.message !== null, message: exceptionLines(f.message || []) }))
      : [];
    // Classic stats carry no message: say so rather than "no traceback".
    fails = grouped(items.map((i) => ({
      ...i, key: i.message[0] || (i.given ? '(no traceback)' : '(no message in this export: open a test for its traceback)'),
    })), 'fail');
    for (const g of fails) {
      g.classes = g.ids.map((id) => fixtureClass(names.get(id) || id)).filter((c): c is string => c !== null);
    }
  }
  let skips = exported(field(tri, 'skip_groups'), 'skip');
  if (!skips) {
    skips = grouped((run ? run.skips : []).map((s) => ({
      id: s.id, key: (s.reason || '').split('\n')[0].trim() || '(no reason given)',
      message: s.reason ? s.reason.split('\n').slice(0, 6) : [],
    })), 'skip');
  }
  const nl = field(tri, 'failure_groups_not_listed');
  return {
    groups: [...groups, ...fails, ...skips],
    notListed: { groups: num(field(nl, 'groups')), tests: num(field(nl, 'tests')) },
    names,
  };
}

/** Failure ids (unfinished first) in the order the summary lists them: previous /
 *  next failure on the details page follow it. */
export function failureOrder(tri: Triage): string[] {
  const out: string[] = [];
  for (const g of tri.groups) if (g.kind !== 'skip') out.push(...g.ids);
  return out;
}

/** Does the group pass the summary's filter: its cause, message or a member's name
 *  contains q (lower case)? Returns the matching members (all when the cause matches). */
export function matchGroup(g: Group, q: string, names: Map<string, string>): string[] | null {
  if (!q) return g.ids;
  if (g.cause.toLowerCase().includes(q) || g.message.some((l) => l.toLowerCase().includes(q))) return g.ids;
  const hits = g.ids.filter((id) => (names.get(id) || id).toLowerCase().includes(q));
  return hits.length ? hits : null;
}
