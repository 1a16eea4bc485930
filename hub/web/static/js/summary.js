// One line about an event, by kind, for the events table.
import { argvText, asText as t, visible } from './format.js';

const base = (p) => (typeof p === 'string' ? p.slice(p.lastIndexOf('/') + 1) : '');

export function summary(ev) {
  const d = ev.details && typeof ev.details === 'object' ? ev.details : {};
  const p = ev.process && typeof ev.process === 'object' ? ev.process : {};
  const who = p.exe ? base(p.exe) : p.argv && p.argv[0] ? base(p.argv[0]) : '';
  let line;
  switch (ev.kind) {
    case 'exec':
      line = `${who ? who + ' → ' : ''}${argvText(d.argv) || t(d.path)}`;
      if (d.path && Array.isArray(d.argv) && d.argv.length && base(d.path) !== base(d.argv[0])) line += `  (${t(d.path)})`;
      break;
    case 'syscall':
      line = `${t(d.name) || 'syscall'}(${decoded(d.decoded)})${who ? ' by ' + who : ''}`;
      break;
    case 'file':
      line = `${t(d.op)} ${t(d.path)}${d.change ? ' [' + t(d.change) + ']' : ''}${d.by && d.by !== 'unknown' ? ' by ' + t(d.by) : ''}`;
      break;
    case 'network':
      line = `${t(d.direction)} ${t(d.syscall)} ${t(d.address)}${d.port ? ':' + t(d.port) : ''}${d.name ? ' (' + t(d.name) + ')' : ''}${who ? ' by ' + who : ''}`;
      break;
    case 'process':
      line = `${t(d.what)} ${argvText(p.argv) || t(p.exe)}`;
      break;
    case 'lifecycle':
      line = [t(d.what), t(d.version), d.exit_code !== undefined ? 'exit ' + t(d.exit_code) : '',
        d.error ? `(${d.component ? t(d.component) + ': ' : ''}${t(d.error)})` : t(d.component)].filter(Boolean).join(' ');
      break;
    case 'dropped':
      line = t(d.reason) || 'dropped';
      break;
    default:
      line = argvText(p.argv) || t(p.exe);
  }
  return visible(line.trim());
}

function decoded(dec) {
  if (!dec || typeof dec !== 'object') return '';
  return Object.entries(dec).map(([k, v]) => (/^\d$/.test(k) ? t(v) : `${k}=${t(v)}`)).join(', ');
}
