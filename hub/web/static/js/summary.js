// One line about an event, by kind, for the events table.
import { argvText, visible } from './format.js';

const base = (p) => (typeof p === 'string' ? p.slice(p.lastIndexOf('/') + 1) : '');

export function summary(ev) {
  const d = ev.details && typeof ev.details === 'object' ? ev.details : {};
  const p = ev.process || {};
  const who = p.exe ? base(p.exe) : p.argv && p.argv[0] ? base(p.argv[0]) : '';
  let line;
  switch (ev.kind) {
    case 'exec':
      line = `${who ? who + ' → ' : ''}${argvText(d.argv) || d.path || ''}`;
      if (d.path && Array.isArray(d.argv) && d.argv.length && base(d.path) !== base(d.argv[0])) line += `  (${d.path})`;
      break;
    case 'syscall':
      line = `${d.name || 'syscall'}(${decoded(d.decoded)})${who ? ' by ' + who : ''}`;
      break;
    case 'file':
      line = `${d.op || ''} ${d.path || ''}${d.change ? ' [' + d.change + ']' : ''}${d.by && d.by !== 'unknown' ? ' by ' + d.by : ''}`;
      break;
    case 'network':
      line = `${d.direction || ''} ${d.syscall || ''} ${d.address || ''}${d.port ? ':' + d.port : ''}${d.name ? ' (' + d.name + ')' : ''}${who ? ' by ' + who : ''}`;
      break;
    case 'process':
      line = `${d.what || ''} ${argvText(p.argv) || p.exe || ''}`;
      break;
    case 'lifecycle':
      line = [d.what, d.version, d.exit_code !== undefined ? 'exit ' + d.exit_code : '',
        d.error ? `(${d.component ? d.component + ': ' : ''}${d.error})` : d.component].filter(Boolean).join(' ');
      break;
    case 'dropped':
      line = `${d.reason || 'dropped'}`;
      break;
    default:
      line = argvText(p.argv) || p.exe || '';
  }
  return visible(line.trim());
}

function decoded(dec) {
  if (!dec || typeof dec !== 'object') return '';
  return Object.entries(dec).map(([k, v]) => (/^\d$/.test(k) ? v : `${k}=${v}`)).join(', ');
}
