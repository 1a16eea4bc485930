// The rules page: how often each rule fired over a window, as a stacked
// bar chart, with each rule's total.
import { $, h } from './dom.js';
import { Unauthorized, json } from './api.js';
import { asText, num, parseTime, visible } from './format.js';
import { PALETTE, legendItem, spark, stackedBars, swatch } from './chart.js';
import { docRef } from './detail.js';

const TOP = 9; // rules with a colour of their own; the rest are "other"

// durationMs reads "90s", "1m", "1h30m", "7d".
export function durationMs(d) {
  let ms = 0;
  for (const [, n, u] of String(d).matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)) {
    ms += Number(n) * { ms: 1, s: 1e3, m: 60e3, h: 3600e3, d: 86400e3 }[u];
  }
  return ms;
}

export class RulesPage {
  constructor({ unauthorized, onRules }) {
    this.unauthorized = unauthorized;
    this.onRules = onRules;
    this.form = $('#rules-form');
    this.form.addEventListener('change', () => this.refresh());
    this.timer = 0;
    this.active = false;
    this.last = null;
    let resize = 0;
    window.addEventListener('resize', () => {
      clearTimeout(resize);
      resize = setTimeout(() => this.active && this.last && this.draw(this.last), 150);
    });
  }

  show() {
    this.active = true;
    this.refresh();
  }

  hide() {
    this.active = false;
    clearTimeout(this.timer);
  }

  async refresh() {
    clearTimeout(this.timer);
    const [win, step] = this.form.elements.window.value.split('|');
    try {
      const body = await json('api/rules', { window: win, step });
      // The hub says the step it used, and where the window starts.
      this.last = { rules: Array.isArray(body) ? body : body.rules || [], window: win, step: body.step || step, stepLabel: step, others: Number(body.others || 0) };
      this.draw(this.last);
      if (this.onRules) this.onRules(this.last.rules.map((r) => r.rule));
    } catch (e) {
      if (e instanceof Unauthorized) {
        this.unauthorized();
        return;
      }
      $('#rules-summary').textContent = `Could not load rules: ${e.message}`;
    }
    if (this.active) this.timer = setTimeout(() => this.refresh(), 10000);
  }

  draw({ rules, window, step, stepLabel = step, others = 0 }) {
    const stepMs = durationMs(step) || 60e3;
    const { times, index } = buckets(rules, durationMs(window), stepMs);
    const sorted = [...rules].sort((a, b) => Number(b.total) - Number(a.total) || asText(a.rule).localeCompare(asText(b.rule)));
    const colored = sorted.slice(0, TOP).map((r, i) => ({ rule: asText(r.rule), color: PALETTE[i], values: values(r, times, index) }));
    const rest = sorted.slice(TOP);
    const series = [...colored];
    if (rest.length) {
      const other = times.map(() => 0);
      for (const r of rest) values(r, times, index).forEach((v, i) => { other[i] += v; });
      series.push({ rule: `${rest.length} other rules`, color: PALETTE[TOP], values: other });
    }
    const total = sorted.reduce((a, r) => a + Number(r.total || 0), others);
    $('#rules-summary').textContent = `${num(total)} events from ${sorted.length} rule${sorted.length === 1 ? '' : 's'}` +
      `${others ? ` (and ${num(others)} of rarer rules)` : ''} in the last ${window}, per ${stepLabel}`;
    const chart = $('#rules-chart');
    chart.replaceChildren(stackedBars({ times, series, width: chart.clientWidth || 900, stepMs }));
    $('#rules-legend').replaceChildren(...series.map((sr) => legendItem(sr.color, visible(sr.rule))));
    $('#rules-empty').hidden = sorted.length > 0;
    $('#rules-body').replaceChildren(...sorted.map((r, i) => h('tr', { dataset: { rule: asText(r.rule) } },
      h('td', { class: 'rule' }, swatch(PALETTE[Math.min(i, TOP)]), ' ', visible(asText(r.rule))),
      h('td', { class: 'num', text: num(r.total) }),
      h('td', null, spark(values(r, times, index), { rule: asText(r.rule) })),
      h('td', null, h('code', { text: docRef(r.rule) })))));
  }
}

// buckets are the start times of the window's intervals, aligned to the
// series' own times when there are any.
function buckets(rules, windowMs, stepMs) {
  const ts = [];
  for (const r of rules) for (const p of r.series || []) {
    const d = parseTime(p.t ?? p.time);
    if (d) ts.push(d.getTime());
  }
  const end = ts.length ? Math.max(...ts) : Math.floor(Date.now() / stepMs) * stepMs;
  const n = Math.max(1, Math.min(2000, Math.round((windowMs || stepMs * 60) / stepMs)));
  const first = Math.min(end - (n - 1) * stepMs, ...ts);
  const count = Math.round((end - first) / stepMs) + 1;
  const times = Array.from({ length: count }, (_, i) => first + i * stepMs);
  return { times, index: (t) => Math.round((t - first) / stepMs) };
}

function values(r, times, index) {
  const v = times.map(() => 0);
  for (const p of r.series || []) {
    const d = parseTime(p.t ?? p.time);
    const i = d ? index(d.getTime()) : -1;
    if (i >= 0 && i < v.length) v[i] += Number(p.n ?? p.count ?? 0);
  }
  return v;
}
