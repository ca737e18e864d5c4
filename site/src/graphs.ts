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

// dstat strips on the timeline's time axis: the classic presets plus any
// numeric column the user picks. Drawn on canvas with the timeline's gutter,
// which holds the y-axis ticks; the title and the legend (with the values under
// the cursor) share one row above the plot, laid out so they never overlap.
import { h, clear, sizeCanvas } from './dom';
import { Column, Dstat, PRESETS, Preset, presetColumns } from './dstat';
import { lastAtOrBefore as lastAtOrBeforeTime } from './model';
import { DrawnFor, fillColumn, fillRows, mix, rgbPixel } from './pixels';
import { GUTTER } from './timeline';

const STRIP_H = 72;
const LEGEND_H = 15;
const SERIES_COLORS = ['#1e88e5', '#e53935', '#fb8c00', '#43a047', '#8e24aa'];
const SERIES_PIXELS = SERIES_COLORS.map(rgbPixel);
const PLOT_BG = rgbPixel('#fafafa');
const GRID = rgbPixel('#e4e4e4');
// The selected test's span: rgba(21,101,192,0.12) on the plot's background.
const BAND = mix(PLOT_BG, rgbPixel('#1565c0'), 0.12);
// Of a dense series, the band between each column's min and max.
const SPREAD_ALPHA = 0.25;

interface Strip {
  title: string;
  unit: string;
  series: { label: string; column: Column }[];
  canvas: HTMLCanvasElement;
  fixedMax?: number;
  removable: boolean;
  /** The plot's pixels, and what they were drawn for: a cursor move only puts them again. */
  plot: { image: ImageData | null; pixels: Uint32Array; drawnFor: DrawnFor };
}

function newPlot(): Strip['plot'] {
  return { image: null, pixels: new Uint32Array(0), drawnFor: new DrawnFor() };
}

export class Graphs {
  readonly el = h('div', { cls: 'graphs' });
  private strips: Strip[] = [];
  private node = 0;
  private width = 800;
  private t0 = 0;
  private t1 = 1;
  private cursor: number | null = null;
  private band: [number, number] | null = null;
  private list = h('div', { cls: 'strips' });
  private frame = 0;
  /** Scratch for the plots (see paintPlot), kept while the width stays. */
  private row = new Uint32Array(0);
  private columns = new Float64Array(0);
  private line = new Line();

  constructor(private nodes: Dstat[], problems: string[] = []) {
    for (const p of problems) this.el.append(h('p', { cls: 'error' }, p));
    if (!nodes.length) {
      if (!problems.length) {
        this.el.append(h('p', { cls: 'muted' }, 'No dstat log was published with this run: no resource graphs.'));
      }
      return;
    }
    const bar = h('div', { cls: 'graph-bar' }, h('strong', null, 'Resources'));
    if (nodes.length > 1) {
      const sel = h('select', { cls: 'node-select', onchange: () => this.setNode(sel.selectedIndex) });
      nodes.forEach((n) => sel.append(h('option', null, n.node)));
      bar.append(' node ', sel);
    }
    const add = h('select', { cls: 'column-select', title: 'graph another dstat column', onchange: () => {
      const col = this.current.columns.find((c) => c.key === add.value);
      if (col) this.addColumn(col);
    } });
    bar.append(' ', add);
    this.el.append(bar, this.list);
    this.setNode(0);
  }

  get current(): Dstat {
    return this.nodes[this.node];
  }

  setNode(i: number): void {
    this.node = i;
    const d = this.current;
    this.strips = PRESETS.map((p) => this.presetStrip(d, p)).filter((s): s is Strip => s !== null);
    this.layout();
  }

  /** The picker offers the columns not graphed yet, each once. */
  private fillPicker(): void {
    const add = this.el.querySelector('.column-select') as HTMLSelectElement | null;
    if (!add) return;
    clear(add);
    add.append(h('option', { value: '' }, 'add a column…'));
    const shown = new Set<string>();
    for (const s of this.strips) for (const x of s.series) shown.add(x.column.key);
    for (const c of this.current.columns) {
      if (shown.has(c.key)) continue;
      shown.add(c.key);
      add.append(h('option', { value: c.key }, `${c.group}: ${c.name}`));
    }
    add.selectedIndex = 0;
  }

  private presetStrip(d: Dstat, p: Preset): Strip | null {
    const series = presetColumns(d, p);
    if (!series.length) return null;
    return { title: p.title, unit: p.unit, series, canvas: h('canvas'), fixedMax: p.unit === '%' ? 100 : undefined, removable: false, plot: newPlot() };
  }

  addColumn(col: Column): void {
    this.strips.push({ title: `${col.group}: ${col.name}`, unit: '', series: [{ label: col.name, column: col }], canvas: h('canvas'), removable: true, plot: newPlot() });
    this.layout();
  }

  private layout(): void {
    clear(this.list);
    this.fillPicker();
    for (const s of this.strips) {
      const row = h('div', { cls: 'strip' }, s.canvas);
      // Hovering any strip shows the values at that time on every strip.
      s.canvas.onmousemove = (e) => {
        const x = e.offsetX;
        this.setCursor(x >= GUTTER ? this.t0 + ((x - GUTTER) / (this.width - GUTTER)) * (this.t1 - this.t0) : null);
      };
      s.canvas.onmouseleave = () => this.setCursor(null);
      if (s.removable) {
        row.append(h('button', { cls: 'strip-remove', title: 'remove this graph', onclick: () => {
          this.strips = this.strips.filter((x) => x !== s);
          this.layout();
        } }, '×'));
      }
      this.list.append(row);
    }
    this.draw();
  }

  setView(t0: number, t1: number, width: number): void {
    this.t0 = t0;
    this.t1 = t1;
    this.width = width;
    this.schedule();
  }

  setCursor(t: number | null): void {
    this.cursor = t;
    this.schedule();
  }

  setBand(band: [number, number] | null): void {
    this.band = band;
    this.schedule();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  lastDrawMs = 0;
  /** Text drawn on each strip at the last draw, with its box: tests check that
   *  labels never overlap and that every strip shows the hovered values. */
  readonly drawn = new Map<string, { text: string; x: number; y: number; w: number; h: number }[]>();

  draw(): void {
    if (!this.nodes.length) return;
    const began = performance.now();
    for (const s of this.strips) this.drawStrip(s);
    this.lastDrawMs = performance.now() - began;
  }

  private drawStrip(s: Strip): void {
    const w = this.width, ctx = sizeCanvas(s.canvas, w, STRIP_H);
    const drawn: { text: string; x: number; y: number; w: number; h: number }[] = [];
    this.drawn.set(s.title, drawn);
    const label = (text: string, x: number, y: number, align: 'left' | 'right', middle: boolean) => {
      const wd = ctx.measureText(text).width;
      ctx.fillText(text, x, y);
      drawn.push({ text, x: align === 'right' ? x - wd : x, y: middle ? y - 6 : y, w: wd, h: 12 });
    };
    const d = this.current, times = d.times;
    const pw = w - GUTTER, k = pw / (this.t1 - this.t0);
    ctx.clearRect(0, 0, w, STRIP_H);
    const i0 = Math.max(0, lastAtOrBeforeTime(times, this.t0));
    const i1 = Math.min(times.length - 1, lastAtOrBeforeTime(times, this.t1) + 1);
    let max = s.fixedMax || 0;
    if (!s.fixedMax) {
      for (const { column } of s.series) {
        for (let i = i0; i <= i1; i++) if (column.values[i] > max) max = column.values[i];
      }
    }
    if (!(max > 0)) max = 1;
    const ticks = niceTicks(max);
    max = ticks[ticks.length - 1];
    const top = LEGEND_H + 4, hgt = STRIP_H - top - 2;
    const yOf = (v: number) => top + hgt - (v / max) * hgt;
    this.paintPlot(ctx, s, ticks, yOf, i0, i1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, 0, pw, STRIP_H);
    ctx.clip();
    if (this.cursor !== null) {
      ctx.fillStyle = '#555';
      ctx.fillRect(GUTTER + (this.cursor - this.t0) * k, 0, 1, STRIP_H);
    }
    ctx.restore();
    // Y-axis ticks in the gutter, right-aligned; three at most, so 11px labels
    // on a ~50px plot never touch.
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'right';
    ctx.fillStyle = '#777';
    // The top and 0 always; a tick between only where it keeps 14px from both.
    const yOfTick = (v: number) => Math.min(STRIP_H - 6, Math.max(top + 4, top + hgt - (v / max) * hgt));
    const bottom = yOfTick(0);
    let lastY = yOfTick(max);
    label(humanize(max, s.unit), GUTTER - 6, lastY, 'right', true);
    for (let i = ticks.length - 2; i >= 1; i--) {
      const y = yOfTick(ticks[i]);
      if (y - lastY < 14 || bottom - y < 14) continue;
      label(humanize(ticks[i], s.unit), GUTTER - 6, y, 'right', true);
      lastY = y;
    }
    label(humanize(0, s.unit), GUTTER - 6, bottom, 'right', true);
    ctx.textAlign = 'left';
    // The legend row: title, then each series with its value under the cursor,
    // placed one after the other; what does not fit is left out, never overlapped.
    ctx.textBaseline = 'top';
    const at = this.cursor !== null && this.cursor >= times[0] ? lastAtOrBeforeTime(times, this.cursor) : -1;
    ctx.fillStyle = '#fff';
    ctx.fillRect(GUTTER, 0, pw, LEGEND_H + 1);
    let x = GUTTER + 4;
    const put = (text: string, color: string, bold = false): boolean => {
      ctx.font = `${bold ? '600 ' : ''}11px system-ui, sans-serif`;
      const wd = ctx.measureText(text).width;
      if (x + wd > w - 4) return false;
      ctx.fillStyle = color;
      label(text, x, 2, 'left', false);
      x += wd + 12;
      return true;
    };
    if (!put(s.title, '#333', true)) return;
    s.series.forEach(({ label, column }, si) => {
      const color = SERIES_COLORS[si % SERIES_COLORS.length];
      // The series name is left out when it only repeats the title ("Memory used" / "used").
      const name = s.series.length === 1 && s.title.toLowerCase().endsWith(label.toLowerCase()) ? '' : label;
      const value = at >= 0 ? humanize(column.values[at], s.unit) : '';
      const text = [name, value].filter(Boolean).join(' ');
      if (text) put((name ? '■ ' : '') + text, color);
    });
  }

  /**
   * The plot area in device pixels, kept per strip and drawn again only when the
   * view, the scale or the selected test changed, put on the canvas in one call: background, the
   * selected test's span, the grid and, when i0 <= i1, samples i0..i1 of every
   * series, a column per pixel with the band between its samples' min and max
   * (spikes stay visible) and their mean as a line. Stroking every sample is slow
   * and unreadable, and thousands of rects are slow on a software-drawn canvas.
   */
  private paintPlot(ctx: CanvasRenderingContext2D, s: Strip, ticks: number[], yOf: (v: number) => number,
    i0: number, i1: number): void {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.round((this.width - GUTTER) * dpr), hgt = Math.round(STRIP_H * dpr);
    if (w <= 0) return;
    const plot = s.plot;
    if (!plot.image || plot.image.width !== w || plot.image.height !== hgt) {
      plot.image = new ImageData(w, hgt);
      plot.pixels = new Uint32Array(plot.image.data.buffer);
    }
    if (this.row.length !== w) {
      this.row = new Uint32Array(w);
      this.columns = new Float64Array(4 * w);
    }
    const band = this.band;
    if (plot.drawnFor.changed(this.t0, this.t1, w, hgt, ticks[ticks.length - 1], i0, i1, band && band[0], band && band[1], this.node)) {
      this.fillPlot(plot.pixels, w, hgt, s, ticks, yOf, i0, i1, dpr);
    }
    ctx.putImageData(plot.image, Math.round(GUTTER * dpr), 0);
  }

  private fillPlot(px: Uint32Array, w: number, hgt: number, s: Strip, ticks: number[], yOf: (v: number) => number,
    i0: number, i1: number, dpr: number): void {
    const row = this.row;
    const k = w / (this.t1 - this.t0);
    row.fill(PLOT_BG);
    if (this.band) {
      const b0 = Math.round((this.band[0] - this.t0) * k);
      const b1 = Math.max(b0 + Math.round(2 * dpr), Math.round((this.band[1] - this.t0) * k));
      if (b1 > 0 && b0 < w) row.fill(BAND, Math.max(0, b0), Math.min(w, b1));
    }
    fillRows(px, w, row, 0, hgt);
    row.fill(GRID);
    for (const v of ticks) {
      const y = Math.round(yOf(v));
      fillRows(px, w, row, Math.round(y * dpr), Math.round((y + 1) * dpr));
    }
    const times = this.current.times, cols = this.columns, line = this.line;
    const y = (v: number) => yOf(v) * dpr;
    // More samples than pixels: a column per pixel, the band between its samples'
    // min and max (spikes stay visible) and a line through their means. Fewer: a
    // line through the samples. Stroking every sample is slow and unreadable, and
    // anti-aliased paths are slow on a software-drawn canvas: both are pixels here.
    const dense = i1 - i0 > w / dpr;
    s.series.forEach(({ column }, si) => {
      const color = SERIES_PIXELS[si % SERIES_PIXELS.length];
      line.start(w);
      if (dense) {
        const n = binColumns(times, column.values, i0, i1, this.t0, k, w, cols);
        for (let j = 0; j < n; j += 4) {
          const yHi = Math.round(y(cols[j + 2]));
          fillColumn(px, w, cols[j], yHi, Math.max(yHi + 1, Math.round(y(cols[j + 1]))), color, SPREAD_ALPHA);
          line.to(cols[j] + 0.5, y(cols[j + 3]));
        }
      } else {
        for (let i = i0; i <= i1; i++) {
          const v = column.values[i];
          if (isNaN(v)) line.up();
          else line.to((times[i] - this.t0) * k, y(v));
        }
      }
      line.draw(px, w, color, 0.6 * dpr);
    });
  }
}

/**
 * A polyline drawn as pixels, x increasing: per pixel column, the range of y the
 * line covers there, filled with half a line width above and below.
 */
class Line {
  private x = NaN;
  private y = NaN;
  private lo = new Float64Array(0);
  private hi = new Float64Array(0);

  /** A new line over columns 0..width-1 (the buffers are kept while the width stays). */
  start(width: number): void {
    if (this.lo.length !== width) {
      this.lo = new Float64Array(width);
      this.hi = new Float64Array(width);
    }
    this.lo.fill(Infinity);
    this.hi.fill(-Infinity);
    this.up();
  }

  /** Lift the pen: no segment to the next point (a gap in the samples). */
  up(): void {
    this.x = NaN;
  }

  to(x: number, y: number): void {
    const x0 = isNaN(this.x) ? x : this.x, y0 = isNaN(this.x) ? y : this.y;
    this.x = x;
    this.y = y;
    const w = this.lo.length;
    const c0 = Math.max(0, Math.floor(x0)), c1 = Math.min(w - 1, Math.floor(x));
    for (let c = c0; c <= c1; c++) {
      // The segment clipped to column c: its y at both ends.
      const ya = x === x0 ? y0 : y0 + ((y - y0) * (Math.max(c, x0) - x0)) / (x - x0);
      const yb = x === x0 ? y : y0 + ((y - y0) * (Math.min(c + 1, x) - x0)) / (x - x0);
      this.lo[c] = Math.min(this.lo[c], ya, yb);
      this.hi[c] = Math.max(this.hi[c], ya, yb);
    }
  }

  draw(px: Uint32Array, w: number, color: number, half: number): void {
    for (let c = 0; c < w; c++) {
      if (this.lo[c] > this.hi[c]) continue;
      const a = Math.round(this.lo[c] - half);
      fillColumn(px, w, c, a, Math.max(a + 1, Math.round(this.hi[c] + half)), color);
    }
  }
}

/** Round tick values from 0 to at least max: 1, 2 or 5 times a power of ten apart. */
export function niceTicks(max: number): number[] {
  if (!(max > 0) || !isFinite(max)) return [0, 1];
  const raw = max / 4;
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((st) => st >= raw) || 10 * p;
  const out: number[] = [];
  for (let v = 0; v < max + step * 1e-9; v += step) out.push(v);
  if (out[out.length - 1] < max - step * 1e-9) out.push(out[out.length - 1] + step);
  return out;
}

export function humanize(v: number, unit: string): string {
  if (!isFinite(v)) return '-';
  if (unit === '%') return v.toFixed(0) + '%';
  const a = Math.abs(v);
  const [d, p] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  const n = v / d;
  const text = d === 1 && a < 10 && a % 1 ? n.toFixed(1) : Number.isInteger(n) ? String(n) : n.toFixed(1);
  return `${text}${p || unit ? ' ' : ''}${p}${unit}`;
}

/**
 * Samples i0..i1 binned by pixel column (x = floor((time - t0) * k), kept when
 * 0 <= x < width): x, min, max and mean of each column with samples, in `out`.
 * Returns the number of values written (4 per column).
 */
function binColumns(times: Float64Array, values: Float64Array, i0: number, i1: number,
  t0: number, k: number, width: number, out: Float64Array): number {
  let n = 0, px = -1, lo = 0, hi = 0, sum = 0, count = 0;
  for (let i = i0; i <= i1; i++) {
    const v = values[i];
    if (isNaN(v)) continue;
    const x = Math.floor((times[i] - t0) * k);
    if (x !== px) {
      n = putColumn(out, n, px, lo, hi, sum / count, width);
      px = x;
      lo = hi = sum = v;
      count = 1;
    } else {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      sum += v;
      count++;
    }
  }
  return putColumn(out, n, px, lo, hi, sum / count, width);
}

/** Appends a column of binColumns when it is in the plot; returns the new length. */
function putColumn(out: Float64Array, n: number, x: number, lo: number, hi: number, mean: number, width: number): number {
  if (x < 0 || x >= width || n + 4 > out.length) return n;
  out[n] = x;
  out[n + 1] = lo;
  out[n + 2] = hi;
  out[n + 3] = mean;
  return n + 4;
}
