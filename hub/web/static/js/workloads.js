// The workloads page: every guard the hub has seen, with what it runs
// and enforces, when it last said it was alive, and what it reported.
import { $, h } from './dom.js';
import { Unauthorized, json } from './api.js';
import { ago, asText, num, parseTime, shortDigest, visible } from './format.js';
import { parse } from './json.js';

const REFRESH = 5000;
// The started event's features worth a column, in this order.
const FEATURES = ['exec_enforcement', 'network_enforcement', 'app_isolation', 'landlock_abi', 'seccomp_notify', 'rule_pack'];

// pick returns the first of names that w has.
function pick(w, ...names) {
  for (const n of names) {
    const v = n.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), w);
    if (v !== undefined && v !== null && v !== '') return v;
  }
  return undefined;
}

export const workloadName = (w) => asText(pick(w, 'workload', 'name', 'id'));

// workloadState is the hub's state of w: 'live' (its heartbeats come),
// 'silent' (they stopped without a stopped event), 'stopped' (it said
// so), or 'seen' (events, but no start or heartbeat since the hub began).
export function workloadState(w) {
  const st = asText(pick(w, 'state', 'status'));
  if (st === 'stopped') return 'stopped';
  if (pick(w, 'silent') === true || st === 'silent') return 'silent';
  if (st === 'seen') return 'seen';
  return 'live';
}

const LABELS = { live: 'LIVE', silent: 'SILENT', stopped: 'STOPPED', seen: 'SEEN' };
const TITLES = {
  live: 'its heartbeats arrive on time',
  silent: 'its heartbeats stopped without a stopped event: the guard or its container may have been killed',
  stopped: 'the guard reported that it stopped',
  seen: 'the hub has its events, but no start or heartbeat since the hub began',
};

export class WorkloadsPage {
  constructor({ unauthorized, onList }) {
    this.unauthorized = unauthorized;
    this.onList = onList;
    this.byName = new Map();
    this.body = $('#workloads-body');
    this.timer = 0;
    this.ticker = 0;
    this.active = false;
  }

  show() {
    this.active = true;
    this.refresh();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(), 1000);
  }

  hide() {
    this.active = false;
    clearInterval(this.ticker);
    clearTimeout(this.timer);
  }

  async refresh() {
    clearTimeout(this.timer);
    try {
      const body = await json('api/workloads');
      const list = Array.isArray(body) ? body : body.workloads || [];
      this.byName = new Map(list.map((w) => [workloadName(w), w]));
      this.render();
    } catch (e) {
      if (e instanceof Unauthorized) {
        this.unauthorized();
        return;
      }
      $('#workloads-summary').textContent = `Could not load workloads: ${e.message}`;
    }
    if (this.active) this.timer = setTimeout(() => this.refresh(), REFRESH);
  }

  // changed is a workload pushed by the stream.
  changed(data) {
    let w;
    try {
      w = parse(data);
    } catch {
      return;
    }
    const name = workloadName(w);
    if (!name) return;
    this.byName.set(name, { ...(this.byName.get(name) || {}), ...w });
    this.render();
  }

  render() {
    const list = [...this.byName.values()].sort((a, b) => order(a) - order(b) || workloadName(a).localeCompare(workloadName(b)));
    this.body.replaceChildren(...list.map((w) => this.row(w)));
    $('#workloads-empty').hidden = list.length > 0;
    const silent = list.filter((w) => workloadState(w) === 'silent').length;
    const stopped = list.filter((w) => workloadState(w) === 'stopped').length;
    const live = list.filter((w) => workloadState(w) === 'live').length;
    $('#workloads-summary').textContent = `${list.length} guard${list.length === 1 ? '' : 's'}: ${live} live, ${silent} silent, ${stopped} stopped`;
    if (this.onList) this.onList(list);
  }

  row(w) {
    const state = workloadState(w);
    const name = workloadName(w);
    const hb = parseTime(pick(w, 'last_heartbeat', 'lastHeartbeat'));
    const digest = pick(w, 'policy_digest', 'policyDigest');
    const period = number(pick(w, 'heartbeat_period_seconds'));
    const since = parseTime(pick(w, 'silent_since'));
    const stopped = parseTime(pick(w, 'stopped'));
    const exit = pick(w, 'exit_code');
    return h('tr', { class: `is-${state}`, dataset: { workload: name, state } },
      h('td', null, h('span', { class: `badge state-${state}`, text: LABELS[state], title: TITLES[state] })),
      h('td', { class: 'wname', text: visible(name) }),
      h('td', { text: visible(containerText(pick(w, 'container'))) }),
      h('td', { class: 'mono', text: visible(pick(w, 'version') ?? '—') }),
      h('td', { class: 'digest', title: digest ? asText(digest) : 'no policy file, or no started event seen', text: digest ? shortDigest(asText(digest)) : '—' }),
      h('td', null, features(pick(w, 'features', 'enforcement'))),
      h('td', null,
        h('div', { class: 'hb', dataset: { time: hb ? String(hb.getTime()) : '' }, title: hb ? hb.toISOString() : 'no heartbeat received' }, ago(hb)),
        period ? h('div', { class: 'muted', text: `every ${period < 10 ? period.toFixed(1) : Math.round(period)}s` }) : null,
        state === 'silent' && since ? h('div', { class: 'stale hb', dataset: { time: String(since.getTime()), prefix: 'silent since ' }, text: 'silent since ' + ago(since) }) : null,
        state === 'stopped' && stopped ? h('div', { class: 'muted', text: `stopped ${ago(stopped)}${exit !== undefined ? ', exit ' + asText(exit) : ''}` }) : null),
      h('td', null, kinds(pick(w, 'events', 'events_by_kind'))));
  }

  tick() {
    for (const el of this.body.querySelectorAll('.hb')) {
      const t = Number(el.dataset.time);
      el.textContent = (el.dataset.prefix || '') + (t ? ago(new Date(t)) : 'never');
    }
  }
}

function order(w) {
  return { silent: 0, live: 1, seen: 2, stopped: 3 }[workloadState(w)];
}

function containerText(c) {
  if (typeof c === 'string') return c;
  if (!c || typeof c !== 'object') return '—';
  return [asText(c.hostname), asText(c.image), asText(c.id).slice(0, 12)].filter(Boolean).join(' · ') || '—';
}

// features shows the kernel enforcement a guard got; the rest of its
// started event's features are in the title.
function features(f) {
  if (f === undefined) return '—';
  if (!f || typeof f !== 'object') return visible(f);
  const all = Object.keys(f).sort();
  const shown = FEATURES.filter((k) => k in f);
  const keys = shown.length ? shown : all;
  return h('div', { class: 'features', title: all.map((k) => `${k}: ${asText(f[k])}`).join('\n') }, keys.map((k) => h('span', { dataset: { feature: k } },
    h('b', { text: k.replace(/_/g, ' ') + ': ' }), visible(f[k]))));
}

function kinds(byKind) {
  if (!byKind || typeof byKind !== 'object') return '—';
  const entries = Object.entries(byKind).filter(([, n]) => number(n) > 0).sort((a, b) => number(b[1]) - number(a[1]));
  if (entries.length === 0) return 'none';
  return h('div', { class: 'kinds' }, entries.map(([k, n]) => h('span', { class: 'tag', dataset: { kind: k } }, visible(k) + ' ', h('b', { text: num(n) }))));
}

// number is n if it is a number, else 0: a crafted value cannot throw.
function number(n) {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}
