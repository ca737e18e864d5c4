// dstat strips on the timeline's time axis: the classic presets plus any
// numeric column the user picks. Drawn on canvas with the timeline's gutter.
import { h, clear, sizeCanvas } from './dom';
import { Column, Dstat, PRESETS, Preset, presetColumns } from './dstat';
import { lastAtOrBefore as lastAtOrBeforeTime } from './model';
import { GUTTER } from './timeline';

const STRIP_H = 64;
const SERIES_COLORS = ['#1e88e5', '#e53935', '#fb8c00', '#43a047', '#8e24aa'];

interface Strip {
  title: string;
  unit: string;
  series: { label: string; column: Column }[];
  canvas: HTMLCanvasElement;
  fixedMax?: number;
  removable: boolean;
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
    const add = h('select', { cls: 'column-select', onchange: () => {
      const col = this.current.columns.find((c) => c.key === add.value);
      if (col) this.addColumn(col);
      add.selectedIndex = 0;
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
    const add = this.el.querySelector('.column-select') as HTMLSelectElement;
    clear(add);
    add.append(h('option', { value: '' }, 'add a column…'));
    for (const c of d.columns) add.append(h('option', { value: c.key }, c.key));
    this.strips = PRESETS.map((p) => this.presetStrip(d, p)).filter((s): s is Strip => s !== null);
    this.layout();
  }

  private presetStrip(d: Dstat, p: Preset): Strip | null {
    const series = presetColumns(d, p);
    if (!series.length) return null;
    return { title: p.title, unit: p.unit, series, canvas: h('canvas'), fixedMax: p.unit === '%' ? 100 : undefined, removable: false };
  }

  addColumn(col: Column): void {
    this.strips.push({ title: col.key, unit: '', series: [{ label: col.name, column: col }], canvas: h('canvas'), removable: true });
    this.layout();
  }

  private layout(): void {
    clear(this.list);
    for (const s of this.strips) {
      const row = h('div', { cls: 'strip' }, s.canvas);
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

  draw(): void {
    if (!this.nodes.length) return;
    const began = performance.now();
    for (const s of this.strips) this.drawStrip(s);
    this.lastDrawMs = performance.now() - began;
  }

  private drawStrip(s: Strip): void {
    const w = this.width, ctx = sizeCanvas(s.canvas, w, STRIP_H);
    const d = this.current, times = d.times;
    const pw = w - GUTTER, k = pw / (this.t1 - this.t0);
    ctx.clearRect(0, 0, w, STRIP_H);
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(GUTTER, 0, pw, STRIP_H);
    if (this.band) {
      ctx.fillStyle = 'rgba(21,101,192,0.12)';
      const b0 = GUTTER + (this.band[0] - this.t0) * k;
      ctx.fillRect(b0, 0, Math.max(2, (this.band[1] - this.band[0]) * k), STRIP_H);
    }
    const i0 = Math.max(0, lastAtOrBeforeTime(times, this.t0));
    const i1 = Math.min(times.length - 1, lastAtOrBeforeTime(times, this.t1) + 1);
    let max = s.fixedMax || 0;
    if (!s.fixedMax) {
      for (const { column } of s.series) {
        for (let i = i0; i <= i1; i++) if (column.values[i] > max) max = column.values[i];
      }
    }
    if (!(max > 0)) max = 1;
    const top = 14, hgt = STRIP_H - top - 2;
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, 0, pw, STRIP_H);
    ctx.clip();
    s.series.forEach(({ column }, si) => {
      const color = SERIES_COLORS[si % SERIES_COLORS.length];
      const yOf = (v: number) => top + hgt - (v / max) * hgt;
      if (i1 - i0 > pw) drawColumns(ctx, times, column.values, i0, i1, this.t0, k, yOf, color);
      else drawLine(ctx, times, column.values, i0, i1, this.t0, k, yOf, color);
    });
    if (this.cursor !== null) {
      ctx.fillStyle = '#555';
      ctx.fillRect(GUTTER + (this.cursor - this.t0) * k, 0, 1, STRIP_H);
    }
    ctx.restore();
    // Labels: title, max of the scale, and values under the cursor.
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillStyle = '#333';
    ctx.fillText(s.title, 4, 2);
    ctx.fillStyle = '#777';
    ctx.fillText(humanize(max, s.unit), 4, 16);
    let x = GUTTER + 4;
    const at = this.cursor !== null ? lastAtOrBeforeTime(times, this.cursor) : -1;
    s.series.forEach(({ label, column }, si) => {
      ctx.fillStyle = SERIES_COLORS[si % SERIES_COLORS.length];
      const text = at >= 0 ? `${label} ${humanize(column.values[at], s.unit)}` : label;
      ctx.fillText(text, x, 2);
      x += ctx.measureText(text).width + 12;
    });
  }
}

export function humanize(v: number, unit: string): string {
  if (!isFinite(v)) return '-';
  if (unit === '%') return v.toFixed(0) + '%';
  const a = Math.abs(v);
  const [d, p] = a >= 1e9 ? [1e9, 'G'] : a >= 1e6 ? [1e6, 'M'] : a >= 1e3 ? [1e3, 'k'] : [1, ''];
  return `${(v / d).toFixed(d === 1 ? 0 : 1)}${p}${unit}`;
}

type YOf = (v: number) => number;

function drawLine(ctx: CanvasRenderingContext2D, times: Float64Array, values: Float64Array,
  i0: number, i1: number, t0: number, k: number, yOf: YOf, color: string): void {
  ctx.strokeStyle = color;
  ctx.lineWidth = 1.2;
  ctx.beginPath();
  let pen = false;
  for (let i = i0; i <= i1; i++) {
    const v = values[i];
    if (isNaN(v)) {
      pen = false;
      continue;
    }
    const x = GUTTER + (times[i] - t0) * k;
    if (pen) ctx.lineTo(x, yOf(v));
    else ctx.moveTo(x, yOf(v));
    pen = true;
  }
  ctx.stroke();
}

// More samples than pixels: one column per pixel, a min-max band (spikes stay
// visible) and the mean as a line. Stroking every sample is slow and unreadable.
function drawColumns(ctx: CanvasRenderingContext2D, times: Float64Array, values: Float64Array,
  i0: number, i1: number, t0: number, k: number, yOf: YOf, color: string): void {
  const cols: number[] = [];
  let px = -1, lo = 0, hi = 0, sum = 0, n = 0;
  const flush = () => {
    if (n) cols.push(px, lo, hi, sum / n);
  };
  for (let i = i0; i <= i1; i++) {
    const v = values[i];
    if (isNaN(v)) continue;
    const x = Math.floor(GUTTER + (times[i] - t0) * k);
    if (x !== px) {
      flush();
      px = x;
      lo = hi = sum = v;
      n = 1;
    } else {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
      sum += v;
      n++;
    }
  }
  flush();
  ctx.globalAlpha = 0.25;
  ctx.fillStyle = color;
  for (let j = 0; j < cols.length; j += 4) {
    const yHi = yOf(cols[j + 2]);
    ctx.fillRect(cols[j], yHi, 1, Math.max(1, yOf(cols[j + 1]) - yHi));
  }
  ctx.globalAlpha = 1;
  // The mean line as rects, joining each column to the previous one: rects
  // rasterize far faster than anti-aliased paths in a software-drawn canvas.
  let prev = NaN;
  for (let j = 0; j < cols.length; j += 4) {
    const y = yOf(cols[j + 3]);
    const from = isNaN(prev) ? y : prev;
    ctx.fillRect(cols[j], Math.min(from, y) - 0.6, 1, Math.abs(y - from) + 1.2);
    prev = y;
  }
}
