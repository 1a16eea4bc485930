// Formatting of times, durations and values for display.

// asText is any JSON value as text, for display: an event's fields are
// whatever a crafted event makes them, and String(), a template or a
// join throws on an object such as {"toString":1}. Every text built from
// an event goes through it.
export function asText(v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)).replace(/"(-?\d+)n"/g, '$1');
  } catch {
    return '';
  }
}

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

export function severityRank(s) {
  const i = SEVERITIES.indexOf(s);
  return i < 0 ? -1 : i;
}

export function parseTime(t) {
  if ((typeof t !== 'string' && typeof t !== 'number') || t === '') return null;
  const d = typeof t === 'number' ? new Date(t < 1e12 ? t * 1000 : t) : new Date(t);
  return Number.isNaN(d.getTime()) ? null : d;
}

const pad = (n, w = 2) => String(n).padStart(w, '0');

// clock is "HH:MM:SS.mmm" in local time.
export function clock(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

// day is "YYYY-MM-DD" in local time.
export function day(d) {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function sameDay(a, b) {
  return day(a) === day(b);
}

// ago says how long before now d was: "4s ago", "3m 10s ago", "2h ago".
export function ago(d, now = Date.now()) {
  if (!d) return 'never';
  let sec = Math.round((now - d.getTime()) / 1000);
  if (sec < 0) sec = 0;
  if (sec < 60) return `${sec}s ago`;
  if (sec < 3600) return `${Math.floor(sec / 60)}m ${sec % 60}s ago`;
  if (sec < 86400) return `${Math.floor(sec / 3600)}h ${Math.floor((sec % 3600) / 60)}m ago`;
  return `${Math.floor(sec / 86400)}d ago`;
}

// shortDigest keeps the algorithm and 12 hex digits of "sha256:<hex>".
export function shortDigest(d) {
  if (typeof d !== 'string' || d === '') return '';
  const i = d.indexOf(':');
  const hex = i >= 0 ? d.slice(i + 1) : d;
  return (i >= 0 ? d.slice(0, i + 1) : '') + hex.slice(0, 12) + (hex.length > 12 ? '…' : '');
}

// argvText joins argv for display, quoting arguments with spaces or
// nothing in them; it stays text.
export function argvText(argv) {
  if (!Array.isArray(argv)) return '';
  return argv.map((a) => {
    const s = asText(a);
    return s === '' || /[\s"'\\]/.test(s) ? JSON.stringify(s) : s;
  }).join(' ');
}

export function plural(n, one, many = one + 's') {
  return `${n} ${n === 1 ? one : many}`;
}

export function num(n) {
  if (typeof n === 'bigint') return n.toString();
  return Number(typeof n === 'number' || typeof n === 'string' ? n || 0 : 0).toLocaleString('en-US');
}

// visible replaces characters that do not show, or that reorder what is
// shown (bidi controls: "Trojan Source"), by \u{...} so that an argv or a
// path reads as what it is.
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

export function visible(s) {
  return asText(s).replace(INVISIBLE, (c) => `\\u{${c.codePointAt(0).toString(16).padStart(4, '0')}}`);
}
