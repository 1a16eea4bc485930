// Charts drawn in SVG, no library: stacked bars of events per rule over
// time, and a sparkline of one rule.
import { h, s } from './dom.js';
import { clock, num } from './format.js';

// Tableau 10: distinct in light and dark.
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

// niceMax rounds max up to 1, 2 or 5 times a power of ten, and says the
// tick step.
function niceMax(max, ticks = 4) {
  if (max <= 0) return { top: 1, step: 1 };
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((v) => v >= raw);
  const st = Math.max(1, step);
  return { top: Math.ceil(max / st) * st, step: st };
}

// stackedBars draws buckets (times, ms) × series [{rule, color, values}].
export function stackedBars({ times, series, width, height = 240, stepMs }) {
  const m = { l: 44, r: 10, t: 10, b: 26 };
  const w = Math.max(200, width) - m.l - m.r;
  const hgt = height - m.t - m.b;
  const totals = times.map((_, i) => series.reduce((a, sr) => a + sr.values[i], 0));
  const { top, step } = niceMax(Math.max(0, ...totals));
  const y = (v) => m.t + hgt - (v / top) * hgt;
  const bw = w / Math.max(1, times.length);
  const svg = s('svg', {
    viewBox: `0 0 ${w + m.l + m.r} ${height}`, width: w + m.l + m.r, height, role: 'img',
    'aria-label': `Events per rule over time, ${times.length} intervals, at most ${num(Math.max(0, ...totals))} in one`,
    class: 'rules-chart',
  });
  for (let v = 0; v <= top; v += step) {
    svg.append(s('line', { class: v === 0 ? 'axis' : 'gridline', x1: m.l, x2: m.l + w, y1: y(v), y2: y(v) }),
      s('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end', text: num(v) }));
  }
  const every = Math.max(1, Math.ceil(times.length / Math.max(1, Math.floor(w / 70))));
  times.forEach((t, i) => {
    let base = 0;
    for (const sr of series) {
      const n = sr.values[i];
      if (n <= 0) continue;
      const x = m.l + i * bw + Math.min(1, bw * 0.1);
      const rect = s('rect', {
        class: 'bar', x, y: y(base + n), width: Math.max(1, bw - Math.min(2, bw * 0.2)), height: Math.max(0.5, y(base) - y(base + n)),
        fill: sr.color, dataset: { rule: sr.rule, t: String(t), n: String(n) },
      }, s('title', { text: `${sr.rule}: ${num(n)} at ${label(t, stepMs)}` }));
      svg.append(rect);
      base += n;
    }
    if (i % every === 0) {
      svg.append(s('text', { x: m.l + i * bw + bw / 2, y: height - 8, 'text-anchor': 'middle', text: label(t, stepMs) }));
    }
  });
  return svg;
}

function label(t, stepMs) {
  const d = new Date(t);
  const c = clock(d);
  return stepMs >= 3600e3 ? `${d.getMonth() + 1}/${d.getDate()} ${c.slice(0, 5)}` : stepMs >= 60e3 ? c.slice(0, 5) : c.slice(0, 8);
}

// spark is a small bar chart of values.
export function spark(values, { width = 300, height = 22, rule = '' } = {}) {
  const max = Math.max(1, ...values);
  const bw = width / Math.max(1, values.length);
  const svg = s('svg', { class: 'spark', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${rule}: at most ${num(max)} in one interval` });
  values.forEach((v, i) => {
    if (v <= 0) return;
    const bh = Math.max(1, (v / max) * height);
    svg.append(s('rect', { class: 'bar', x: i * bw, y: height - bh, width: Math.max(1, bw - 1), height: bh, dataset: { rule } }));
  });
  return svg;
}

export function swatch(color) {
  return s('svg', { class: 'swatch', width: 10, height: 10, 'aria-hidden': 'true' }, s('rect', { width: 10, height: 10, rx: 2, fill: color }));
}

export function legendItem(color, text) {
  return h('li', null, swatch(color), text);
}
