// The detail of one event: the rule that fired, the process and its
// ancestry as a tree, the kind's details, and the event's JSON.
import { h } from './dom.js';
import { argvText, asText, parseTime, visible } from './format.js';
import { pretty } from './json.js';

// docRef is where the documentation of rule is, as text: the rule pack's
// rules have a section each in docs/rules.md, named after the rule.
export function docRef(rule) {
  const r = asText(rule);
  const prefix = r.split('.')[0];
  const files = { seccomp: 'docs/seccomp.md', exec: 'docs/exec.md', files: 'docs/files.md', net: 'docs/network.md', vigil: 'docs/events.md', hub: 'docs/hub.md' };
  if (prefix === 'proc') return `docs/rules.md#${r}`;
  if (files[prefix] && r.includes('.')) return `${files[prefix]}#${r}`;
  return `docs/rules.md#${r}`;
}

// renderDetail is the detail of ev; an event it cannot draw (a crafted
// one) is shown as its JSON, as text.
export function renderDetail(ev, raw, { onClose }) {
  try {
    return fullDetail(ev, raw, onClose);
  } catch {
    return fallbackDetail(ev, raw, onClose);
  }
}

function fallbackDetail(ev, raw, onClose) {
  const rule = ev && typeof ev === 'object' ? ev.rule : '';
  return [
    head(rule, onClose),
    h('p', { class: 'error', text: 'This event could not be shown in full; its JSON follows, as text.' }),
    h('section', { class: 'json-section' }, h('h3', { text: 'JSON' }), h('pre', { class: 'json', tabindex: '0', text: visible(raw) })),
  ];
}

function head(rule, onClose) {
  return h('div', { class: 'detail-head' },
    h('h2', { id: 'detail-title', text: visible(rule || '(no rule)') }),
    h('button', { type: 'button', class: 'ghost', 'aria-label': 'Close the detail', onclick: onClose, text: 'Close' }));
}

function fullDetail(ev, raw, onClose) {
  const d = ev.details && typeof ev.details === 'object' ? ev.details : null;
  const p = ev.process && typeof ev.process === 'object' ? ev.process : null;
  return [
    head(ev.rule, onClose),
    h('p', { class: 'badges' },
      h('span', { class: `badge sev-${cls(ev.severity)}`, text: ev.severity || '?' }), ' ',
      h('span', { class: `tag act-${cls(ev.action)}`, text: ev.action || '?' }), ' ',
      h('span', { class: 'tag', text: ev.kind || '?' }),
      typeof ev.count === 'number' && ev.count > 1 ? [' ', h('span', { class: 'tag', text: `×${ev.count}` })] : null),
    section('Policy rule', ruleBox(ev, d)),
    section('Event', kv([
      ['Time', timeText(ev.time)],
      ['ID', ev.id],
      ['Workload', ev.workload],
      ['Container', containerText(ev.container)],
      ['Count', ev.count],
    ])),
    p ? section('Process ancestry', ancestryTree(ev, d)) : null,
    p ? section('Process', kv([
      ['PID / PPID', `${asText(p.pid)} / ${asText(p.ppid)}`],
      ['UID / GID', `${asText(p.uid)} / ${asText(p.gid)}`],
      ['Executable', p.exe],
      ['Argv', argvText(p.argv)],
      p.pids_differ ? ['Pids', 'differ: the first occurrence\'s are shown'] : null,
    ])) : null,
    d ? section('Details', kv(Object.entries(d).map(([k, v]) => [k, asText(v)]))) : null,
    jsonSection(raw),
  ];
}

function ruleBox(ev, d) {
  const rows = [
    ['Rule', ev.rule],
    ['Documentation', docRef(ev.rule)],
    ['Action', ev.action],
    ['Severity', ev.severity],
  ];
  if (d && d.intended && d.intended !== ev.action) rows.push(['Intended', `${asText(d.intended)} (the policy only audits)`]);
  if (d && d.errno !== undefined) rows.push(['Errno', d.errno === 0 ? '0 (the call went on)' : asText(d.errno)]);
  return h('div', { class: 'rulebox', dataset: { rule: ev.rule || '' } }, kv(rows));
}

// ancestryTree draws the ancestry, the oldest ancestor at the root, down
// to the process the event is about, and for an exec the program it was
// about to run.
export function ancestryTree(ev, d) {
  const p = ev.process;
  // A crafted ancestry may hold anything: only objects are ancestors.
  const chain = (Array.isArray(p.ancestry) ? p.ancestry.filter((a) => a && typeof a === 'object') : []).reverse()
    .map((a) => ({ pid: a.pid, exe: a.exe, role: null, cls: '' }));
  chain.push({ pid: p.pid, exe: p.exe, argv: p.argv, uid: p.uid, role: 'this process', cls: 'self' });
  if (ev.kind === 'exec' && d && (d.path || d.argv)) {
    chain.push({ pid: null, exe: d.path, argv: d.argv, role: d.errno ? 'exec refused' : 'exec', cls: 'exec' });
  }
  const root = h('ul', { class: 'tree', role: 'tree', 'aria-label': 'Process ancestry' });
  let parent = root;
  chain.forEach((n, i) => {
    const li = h('li', { role: 'treeitem', 'aria-level': String(i + 1), 'aria-expanded': i < chain.length - 1 ? 'true' : null },
      h('span', { class: `node ${n.cls}`, dataset: { pid: n.pid ?? '' } },
        n.pid !== null && n.pid !== undefined ? h('span', { class: 'pid', text: `pid ${asText(n.pid)}` }) : null,
        h('span', { class: 'exe', text: visible(n.exe || '(unknown executable)') }),
        n.uid !== undefined ? h('span', { class: 'pid', text: `uid ${asText(n.uid)}` }) : null,
        n.role ? h('span', { class: 'role', text: n.role }) : null,
        n.argv ? h('span', { class: 'argv', text: visible(argvText(n.argv)) }) : null));
    parent.append(li);
    if (i < chain.length - 1) {
      const ul = h('ul', { role: 'group' });
      li.append(ul);
      parent = ul;
    }
  });
  return root;
}

function jsonSection(raw) {
  const pre = pretty(raw);
  const copy = h('button', { type: 'button', class: 'ghost', text: 'Copy' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(raw);
      copy.textContent = 'Copied';
    } catch {
      copy.textContent = 'Copy failed';
    }
    setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
  });
  return h('section', { class: 'json-section' }, h('div', { class: 'copy-row' }, h('h3', { text: 'JSON' }), copy), pre);
}

function section(title, body) {
  return h('section', null, h('h3', { text: title }), body);
}

function kv(rows) {
  const dl = h('dl', { class: 'kv' });
  for (const r of rows) {
    if (!r || r[1] === undefined || r[1] === null || r[1] === '') continue;
    dl.append(h('dt', { text: r[0] }), h('dd', { text: visible(r[1]) }));
  }
  return dl;
}

function cls(s) {
  return asText(s).replace(/[^a-z]/g, '');
}

function timeText(t) {
  const d = parseTime(t);
  return d ? `${t}  (${d.toLocaleString()})` : asText(t);
}

function containerText(c) {
  if (!c || typeof c !== 'object') return '';
  return [c.hostname && `host ${asText(c.hostname)}`, c.image && `image ${asText(c.image)}`, c.id && `id ${asText(c.id)}`].filter(Boolean).join(', ');
}
