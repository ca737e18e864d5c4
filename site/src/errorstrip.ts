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

// The service errors strip: ERROR and CRITICAL records per service log over time,
// from the service log index, on the timeline's axis (below the dstat strips).
import { h, sizeCanvas } from './dom';
import { ServiceIndex } from './servicelogs';
import { GUTTER } from './timeline';

const ROW_H = 14;

interface Row {
  label: string;
  counts: number[];
  total: number;
}

/** The rows worth drawing: files with at least one error, busiest first. */
export function errorRows(index: ServiceIndex): Row[] {
  const rows: Row[] = [];
  for (const [k, counts] of index.timeline?.counts || []) {
    const total = counts.reduce((a, b) => a + b, 0);
    if (total > 0) rows.push({ label: index.files[k]?.service || `file ${k}`, counts, total });
  }
  return rows.sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
}

export class ErrorStrip {
  readonly el: HTMLElement;
  private canvas = h('canvas', { cls: 'error-strip' });
  private rows: Row[];
  private max: number;
  private t0 = 0;
  private t1 = 1;
  private width = 800;
  private frame = 0;

  constructor(private index: ServiceIndex) {
    this.rows = errorRows(index);
    this.max = Math.max(1, ...this.rows.flatMap((r) => r.counts));
    const step = index.timeline ? index.timeline.step : 0;
    this.el = h('div', { cls: 'service-errors' },
      h('div', { cls: 'graph-bar' }, h('strong', null, 'Service errors'),
        h('span', { cls: 'muted' }, ` ERROR and CRITICAL records per log, in ${step.toFixed(1)} s buckets (darker: more; most in one: ${this.max})`)),
      this.canvas);
  }

  setView(t0: number, t1: number, width: number): void {
    this.t0 = t0;
    this.t1 = t1;
    this.width = width;
    if (!this.frame) {
      this.frame = requestAnimationFrame(() => {
        this.frame = 0;
        this.draw();
      });
    }
  }

  private draw(): void {
    const errorTimeline = this.index.timeline;
    if (!errorTimeline) return;
    const w = this.width, height = this.rows.length * ROW_H;
    const ctx = sizeCanvas(this.canvas, w, height);
    ctx.clearRect(0, 0, w, height);
    const k = (w - GUTTER) / Math.max(1, this.t1 - this.t0);
    const stepMs = errorTimeline.step * 1000;
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    this.rows.forEach((row, i) => {
      const y = i * ROW_H;
      ctx.fillStyle = i % 2 ? '#fafafa' : '#f3f3f3';
      ctx.fillRect(GUTTER, y, w - GUTTER, ROW_H);
      ctx.fillStyle = '#37474f';
      ctx.fillText(row.label, 4, y + ROW_H / 2, GUTTER - 8);
      row.counts.forEach((n, b) => {
        if (!n) return;
        const x0 = GUTTER + (errorTimeline.start + b * stepMs - this.t0) * k;
        const x1 = x0 + Math.max(1, stepMs * k);
        if (x1 < GUTTER || x0 > w) return;
        ctx.fillStyle = `rgba(198, 40, 40, ${(0.3 + 0.7 * n / this.max).toFixed(3)})`;
        ctx.fillRect(Math.max(GUTTER, x0), y + 2, Math.min(w, x1) - Math.max(GUTTER, x0), ROW_H - 4);
      });
    });
  }
}
