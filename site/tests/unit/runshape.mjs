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

// Everything a view can read of a Run, as plain data: two runs that give the same
// shape show the same pages (the unit and browser tests compare v2 and raw.json).

export function runShape(run) {
  return {
    tests: run.tests.map((t) => t.toJSON()),
    byId: [...run.byId].map(([id, t]) => [id, t.idx]),
    lanes: run.lanes.map((l) => ({ ...l, tests: [...l.tests], starts: [...l.starts], ends: [...l.ends],
      reach: [...l.reach], outliers: [...l.outliers] })),
    start: run.start, end: run.end, core: run.core, outliers: run.outliers.map((t) => t.idx),
    counts: run.counts, totalDuration: run.totalDuration, classic: run.classic, warnings: run.warnings,
    failures: run.failures.map((f) => ({ ...f, test: f.test && f.test.idx })), skips: run.skips,
  };
}
