// One time notation for the whole page: wall-clock UTC, wall-clock in the
// browser's time zone, or relative to the run's start. The summary, details,
// tooltips and the timeline axis all format through here, so they always agree;
// the route keeps the choice (?t=utc|local|rel).

export type TimeMode = 'utc' | 'local' | 'rel';
export const TIME_MODES: TimeMode[] = ['utc', 'local', 'rel'];
export const TIME_MODE_LABELS: Record<TimeMode, string> = {
  utc: 'UTC', local: 'local time', rel: 'from run start',
};

let mode: TimeMode = 'utc';
let runStart = 0;

export function parseTimeMode(s: string | null | undefined): TimeMode {
  return s === 'local' || s === 'rel' ? s : 'utc';
}

/** Set by the app from the route (mode) and the run on show (start). */
export function setTimeMode(m: TimeMode, start?: number): void {
  mode = m;
  if (start !== undefined && isFinite(start)) runStart = start;
}

export function timeMode(): TimeMode {
  return mode;
}

const pad = (n: number, w = 2) => String(Math.floor(n)).padStart(w, '0');

/** Offset of the browser's zone at `ms`, in minutes east of UTC. */
function zoneMinutes(ms: number): number {
  return -new Date(ms).getTimezoneOffset();
}

function zoneLabel(ms: number): string {
  const z = zoneMinutes(ms);
  if (!z) return 'UTC';
  const a = Math.abs(z);
  return `UTC${z > 0 ? '+' : '-'}${pad(a / 60)}${a % 60 ? ':' + pad(a % 60) : ''}`;
}

/** Wall-clock fields (in the chosen zone) of ms: [y, mo, d, h, mi, s, ms]. */
function fields(ms: number, local: boolean): number[] {
  const d = new Date(local ? ms + zoneMinutes(ms) * 60000 : ms);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(),
    d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()];
}

/** "+m:ss" / "+h:mm:ss" (with fractions of a second when `step` < 1) from the run's start. */
export function offsetLabel(s: number, step = 1): string {
  const neg = s < 0;
  s = Math.abs(s);
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const digits = step < 0.1 ? 2 : step < 1 ? 1 : 0;
  const sec = digits ? ss.toFixed(digits).padStart(3 + digits, '0') : pad(ss);
  const body = hh ? `${hh}:${pad(mm)}:${sec}` : `${mm}:${sec}`;
  return (neg ? '-' : s > 0 ? '+' : '') + body;
}

function clock(ms: number, local: boolean, digits: number): string {
  const f = fields(ms, local);
  let s = `${pad(f[3])}:${pad(f[4])}:${pad(f[5])}`;
  if (digits) s += '.' + pad(f[6], 3).slice(0, digits);
  return s;
}

/** A moment in the current notation: "02:51:12 UTC", "04:51:12 UTC+02", "+4:37". */
export function formatAt(ms: number, precise = false): string {
  if (!isFinite(ms)) return '-';
  if (mode === 'rel') return offsetLabel((ms - runStart) / 1000, precise ? 0.5 : 1);
  const local = mode === 'local';
  return `${clock(ms, local, precise ? 3 : 0)} ${local ? zoneLabel(ms) : 'UTC'}`;
}

/** A moment with its date (the summary's Date card, details): always wall-clock,
 *  in the chosen zone (UTC when the notation is relative). */
export function formatDate(ms: number): string {
  if (!isFinite(ms)) return '-';
  const local = mode === 'local';
  const f = fields(ms, local);
  return `${f[0]}-${pad(f[1])}-${pad(f[2])} ${clock(ms, local, 0)} ${local ? zoneLabel(ms) : 'UTC'}`;
}

/** The same moment in the other notations, for a title attribute. */
export function formatOthers(ms: number): string {
  const keep = mode;
  const out = TIME_MODES.filter((m) => m !== keep).map((m) => {
    mode = m;
    return formatAt(ms, true);
  });
  mode = keep;
  return out.join(' · ');
}

const STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
  3600, 7200, 10800, 21600, 43200, 86400];

export interface Tick {
  t: number;
  label: string;
}

/** Axis ticks for [t0, t1] (ms) at least `minPx` apart on `widthPx` pixels: on round
 *  offsets from the run's start when relative, on round wall-clock times otherwise. */
export function axisTicks(t0: number, t1: number, widthPx: number, minPx = 90): Tick[] {
  const span = (t1 - t0) / 1000;
  if (!(span > 0) || !(widthPx > 0)) return [];
  const step = STEPS.find((s) => (widthPx / span) * s >= minPx) || 86400 * Math.ceil(span / 86400);
  const digits = step < 0.1 ? 2 : step < 1 ? 1 : 0;
  // Ticks fall on multiples of the step from the origin: the run's start, or
  // midnight of the shown zone.
  const origin = mode === 'rel' ? runStart
    : mode === 'local' ? Date.UTC(1970, 0, 1) - zoneMinutes(t0) * 60000 : Date.UTC(1970, 0, 1);
  const out: Tick[] = [];
  const first = Math.ceil((t0 - origin) / 1000 / step);
  for (let i = first; ; i++) {
    const t = origin + i * step * 1000;
    if (t > t1 || out.length > 1000) break;
    const label = mode === 'rel' ? offsetLabel((t - runStart) / 1000, step)
      : step >= 60 ? clock(t, mode === 'local', 0).slice(0, 5) : clock(t, mode === 'local', digits);
    out.push({ t, label });
  }
  return out;
}
