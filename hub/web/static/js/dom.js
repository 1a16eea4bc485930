// DOM helpers. Every string goes in as text (textContent, text nodes or
// attribute values), never as markup: event content is attacker-influenced.
// Values become text by asText, which never throws.
import { asText } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

// h makes an HTML element. attrs: class, text, dataset (object), on<Event>
// (listeners), anything else as an attribute (skipped when null/false).
export function h(tag, attrs, ...children) {
  return build(document.createElement(tag), attrs, children);
}

// s makes an SVG element, the same way.
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'text') el.textContent = asText(v);
    else if (k === 'class') el.setAttribute('class', asText(v));
    else if (k === 'dataset') for (const [dk, dv] of Object.entries(v)) el.dataset[dk] = asText(dv);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
    else el.setAttribute(k, v === true ? '' : asText(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(asText(c)));
  }
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];
