// The live events page: the newest events first, pushed by the stream,
// filtered, with one event's detail beside the list.
import { $, h } from './dom.js';
import { Unauthorized, text } from './api.js';
import { asText, clock, day, parseTime, sameDay, severityRank, visible } from './format.js';
import { parse } from './json.js';
import { summary } from './summary.js';
import { renderDetail } from './detail.js';

const PAGE = 200; // events per request
const KEEP = 2000; // events kept in the page
export const FILTERS = ['workload', 'kind', 'severity', 'rule', 'q'];

export class EventsPage {
  constructor({ live, navigate, unauthorized }) {
    this.live = live;
    this.navigate = navigate;
    this.unauthorized = unauthorized;
    this.form = $('#filters');
    this.body = $('#events-body');
    this.detail = $('#detail');
    this.ids = []; // newest first
    this.byId = new Map(); // id -> {ev, raw, row}
    this.pending = [];
    this.paused = false;
    this.filters = null;
    this.next = '';
    this.selected = '';
    this.loadSeq = 0;
    this.bind();
  }

  bind() {
    let timer = 0;
    const changed = (delay) => {
      clearTimeout(timer);
      timer = setTimeout(() => this.navigate(this.hashFor(this.selected, this.formFilters())), delay);
    };
    this.form.addEventListener('change', () => changed(0));
    this.form.addEventListener('input', (e) => { if (e.target.tagName === 'INPUT') changed(350); });
    this.form.addEventListener('submit', (e) => { e.preventDefault(); changed(0); });
    $('#clear-filters').addEventListener('click', () => this.navigate(this.hashFor(this.selected, {})));
    $('#pause').addEventListener('click', () => this.setPaused(!this.paused));
    $('#pending').addEventListener('click', () => this.setPaused(false));
    $('#older').addEventListener('click', () => this.loadOlder());
    this.body.addEventListener('click', (e) => this.rowClicked(e));
    this.body.addEventListener('keydown', (e) => this.rowKey(e));
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.selected && !$('#view-events').hidden && !document.querySelector('dialog[open]')) {
        this.navigate(this.hashFor('', this.filters));
      }
    });
  }

  formFilters() {
    const f = {};
    for (const k of FILTERS) {
      const v = this.form.elements[k].value.trim();
      if (v) f[k] = v;
    }
    return f;
  }

  hashFor(id, filters) {
    const q = new URLSearchParams(filters || {}).toString();
    return '#/events' + (id ? '/' + encodeURIComponent(id) : '') + (q ? '?' + q : '');
  }

  // show is called by the router with the event id in the URL (or '') and
  // the filters of its query.
  show(id, query) {
    const f = {};
    for (const k of FILTERS) if (query.get(k)) f[k] = query.get(k);
    if (JSON.stringify(f) !== JSON.stringify(this.filters)) this.apply(f);
    this.select(id);
  }

  apply(f) {
    this.filters = f;
    for (const k of FILTERS) {
      const el = this.form.elements[k];
      if (el.value !== (f[k] || '') && document.activeElement !== el) el.value = f[k] || '';
      if (el.tagName === 'SELECT' && f[k] && el.value !== f[k]) {
        el.append(h('option', { value: f[k], text: visible(f[k]) })); // a workload not seen yet
        el.value = f[k];
      }
    }
    this.ids = [];
    this.byId.clear();
    this.pending = [];
    this.body.replaceChildren();
    this.updatePending();
    this.live.open(f);
    this.load();
  }

  // load fetches the newest page for the filters; events the stream
  // already delivered are kept, so nothing is lost between the two.
  async load(before = '') {
    const seq = ++this.loadSeq;
    const older = $('#older');
    older.disabled = true;
    try {
      const body = parse(await text('api/events', { ...this.filters, before, limit: PAGE }));
      if (seq !== this.loadSeq) return;
      for (const ev of Array.isArray(body.events) ? body.events : []) this.insert(ev, null, false);
      this.next = body.next || '';
      older.hidden = !this.next;
    } catch (e) {
      if (e instanceof Unauthorized) this.unauthorized();
      else this.error(e);
    } finally {
      older.disabled = false;
      this.updateEmpty();
    }
  }

  loadOlder() {
    if (this.next) this.load(this.next);
  }

  resync() {
    this.load();
  }

  error(e) {
    const p = $('#pending');
    p.hidden = false;
    p.textContent = `Could not load events: ${e.message}`;
  }

  // streamed is one event from the live stream.
  streamed(data) {
    let ev;
    try {
      ev = parse(data);
    } catch {
      return;
    }
    if (!ev || typeof ev !== 'object' || !this.matches(ev, data)) return;
    if (this.paused) {
      if (!this.byId.has(ev.id) && !this.pending.some((p) => p.ev.id === ev.id)) this.pending.push({ ev, raw: data });
      this.updatePending();
      return;
    }
    this.insert(ev, data, true);
    this.updateEmpty();
  }

  // matches repeats the filters on streamed events, in case a hub sends
  // more than they ask for.
  matches(ev, raw) {
    const f = this.filters || {};
    for (const k of ['workload', 'kind', 'rule']) {
      if (f[k] && ev[k] !== f[k]) return false;
    }
    if (f.severity && severityRank(ev.severity) < severityRank(f.severity)) return false;
    return !f.q || raw.toLowerCase().includes(f.q.toLowerCase());
  }

  insert(ev, raw, fresh) {
    if (!ev || typeof ev.id !== 'string') return;
    const had = this.byId.get(ev.id);
    if (had) {
      if (raw) had.raw = raw;
      return;
    }
    const row = this.safeRow(ev, raw, fresh);
    // Ids sort by time; a storm's summary can come after later ids.
    let lo = 0;
    let hi = this.ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.ids[mid] > ev.id) lo = mid + 1;
      else hi = mid;
    }
    const before = this.ids[lo] ? this.byId.get(this.ids[lo]).row : null;
    this.ids.splice(lo, 0, ev.id);
    this.byId.set(ev.id, { ev, raw, row });
    this.body.insertBefore(row, before);
    while (this.ids.length > KEEP) {
      const old = this.ids.pop();
      this.byId.get(old).row.remove();
      this.byId.delete(old);
      this.next = old;
      $('#older').hidden = false;
    }
  }

  // safeRow is the row of ev, or for an event that cannot be drawn (a
  // crafted one) a row of its id, rule and JSON as text: one event never
  // keeps the others from the page.
  safeRow(ev, raw, fresh) {
    try {
      return this.row(ev, fresh);
    } catch {
      return h('tr', { tabindex: '0', class: 'broken', 'aria-selected': ev.id === this.selected ? 'true' : 'false', dataset: { id: ev.id, rule: ev.rule } },
        h('td', { text: ev.id }),
        h('td', { colspan: '7', class: 'proc', text: visible(`${asText(ev.rule)}: ${raw || fallbackRaw(ev)}`) }));
    }
  }

  row(ev, fresh) {
    const t = parseTime(ev.time);
    const sev = asText(ev.severity);
    const act = asText(ev.action);
    const tr = h('tr', {
      tabindex: '0', class: fresh ? 'fresh' : null, 'aria-selected': ev.id === this.selected ? 'true' : 'false',
      dataset: { id: ev.id, severity: sev, kind: ev.kind, rule: ev.rule },
    },
    h('td', { title: ev.time }, t && !sameDay(t, new Date()) ? h('span', { class: 'date', text: day(t) + ' ' }) : null, t ? clock(t) : asText(ev.time)),
    h('td', null, h('span', { class: `badge sev-${sev.replace(/[^a-z]/g, '')}`, text: sev || '?' })),
    h('td', { text: ev.kind || '' }),
    h('td', { class: 'rule', text: visible(ev.rule || '') }),
    h('td', null, h('span', { class: `tag act-${act.replace(/[^a-z]/g, '')}`, text: act || '?' })),
    h('td', { text: visible(ev.workload || '') }),
    h('td', { class: 'proc', title: summary(ev), text: summary(ev) }),
    h('td', { class: 'num', text: ev.count }));
    // Once, and by the clock: an animation starts again whenever its
    // element is shown again (a row that came while another page showed).
    if (fresh) setTimeout(() => tr.classList.remove('fresh'), 1700);
    return tr;
  }

  rowClicked(e) {
    const tr = e.target.closest('tr[data-id]');
    if (tr) this.navigate(this.hashFor(tr.dataset.id, this.filters));
  }

  rowKey(e) {
    const tr = e.target.closest('tr[data-id]');
    if (!tr) return;
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.navigate(this.hashFor(tr.dataset.id, this.filters));
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const next = e.key === 'ArrowDown' ? tr.nextElementSibling : tr.previousElementSibling;
      if (next) next.focus();
    }
  }

  async select(id) {
    if (this.selected && this.byId.has(this.selected)) this.byId.get(this.selected).row.setAttribute('aria-selected', 'false');
    this.selected = id;
    if (!id) {
      this.detail.hidden = true;
      this.detail.replaceChildren();
      return;
    }
    const known = this.byId.get(id);
    if (known) known.row.setAttribute('aria-selected', 'true');
    this.detail.hidden = false;
    if (known) this.renderDetail(known.ev, known.raw);
    else this.detail.replaceChildren(h('p', { class: 'muted', text: 'Loading the event…' }));
    try {
      // The hub's own text of the event: exact integers in the JSON view.
      const raw = await text('api/events/' + encodeURIComponent(id));
      if (this.selected !== id) return;
      this.renderDetail(parse(raw), raw);
      if (known) known.raw = raw;
    } catch (e) {
      if (e instanceof Unauthorized) this.unauthorized();
      else if (!known && this.selected === id) this.detail.replaceChildren(h('p', { class: 'error', text: `Could not load event ${id}: ${e.message}` }));
    }
  }

  renderDetail(ev, raw) {
    const close = () => this.navigate(this.hashFor('', this.filters));
    this.detail.replaceChildren(...renderDetail(ev, raw || fallbackRaw(ev), { onClose: close }).filter(Boolean));
  }

  setPaused(p) {
    this.paused = p;
    const b = $('#pause');
    b.setAttribute('aria-pressed', String(p));
    b.textContent = p ? 'Resume' : 'Pause';
    if (!p) {
      for (const { ev, raw } of this.pending) this.insert(ev, raw, true);
      this.pending = [];
      this.updateEmpty();
    }
    this.updatePending();
    this.onPause && this.onPause(p);
  }

  updatePending() {
    const el = $('#pending');
    if (!this.paused) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    const n = this.pending.length;
    el.textContent = `Paused: ${n} new event${n === 1 ? '' : 's'} held. Resume to show them.`;
  }

  updateEmpty() {
    $('#events-empty').hidden = this.ids.length > 0;
  }

  // known adds workloads and rules to the filter choices.
  known(workloads, rules) {
    const sel = this.form.elements.workload;
    const have = new Set([...sel.options].map((o) => o.value));
    for (const w of workloads) if (w && !have.has(w)) sel.append(h('option', { value: w, text: visible(w) }));
    const dl = $('#rule-list');
    const rs = new Set([...dl.options].map((o) => o.value));
    for (const r of rules) if (r && !rs.has(r)) dl.append(h('option', { value: r }));
  }
}

function fallbackRaw(ev) {
  return asText(ev);
}
