// JSON without loss: integers past 2^53 (a syscall's raw arguments) stay
// exact, and the pretty view is made from the text the hub sent, not from
// numbers JavaScript rounded.
import { h } from './dom.js';
import { visible } from './format.js';

// parse is JSON.parse, with integers too large for a double kept as BigInt
// where the browser gives the reviver the number's source text.
export function parse(text) {
  return JSON.parse(text, function revive(_key, value, ctx) {
    if (typeof value === 'number' && !Number.isSafeInteger(value) && ctx && /^-?\d+$/.test(ctx.source)) {
      return BigInt(ctx.source);
    }
    return value;
  });
}

// pretty returns a <pre> holding text re-indented, with keys, strings,
// numbers and literals in spans. Strings are shown as they are written in
// the JSON (escapes stay escapes) and invisible characters made visible.
export function pretty(text) {
  const pre = h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Event JSON' });
  try {
    tokens(text, pre);
  } catch {
    pre.replaceChildren(visible(text));
  }
  return pre;
}

function tokens(text, out) {
  let depth = 0;
  let i = 0;
  const nl = () => out.append('\n' + '  '.repeat(depth));
  const span = (cls, t) => out.append(h('span', { class: cls, text: visible(t) }));
  const nextSig = (j) => {
    while (j < text.length && /\s/.test(text[j])) j++;
    return text[j];
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (c === '{' || c === '[') {
      out.append(c);
      i++;
      const close = c === '{' ? '}' : ']';
      if (nextSig(i) === close) {
        while (text[i] !== close) i++;
        out.append(close);
        i++;
        continue;
      }
      depth++;
      nl();
    } else if (c === '}' || c === ']') {
      depth--;
      nl();
      out.append(c);
      i++;
    } else if (c === ',') {
      out.append(',');
      nl();
      i++;
    } else if (c === ':') {
      out.append(': ');
      i++;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (j >= text.length) throw new Error('unterminated string');
      span(nextSig(j + 1) === ':' ? 'k' : 's', text.slice(i, j + 1));
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s,:\]}]/.test(text[j])) j++;
      if (j === i) throw new Error('unexpected ' + c);
      const t = text.slice(i, j);
      span(/^-?\d/.test(t) ? 'n' : 'l', t);
      i = j;
    }
  }
  if (depth !== 0) throw new Error('unbalanced');
}
