// The hub's HTTP API. Credentials (a token, or a user and password) live
// in sessionStorage: they last as long as the tab and are sent only to the
// hub that served this page.

const KEY = 'vigil.auth';

export class Unauthorized extends Error {
  constructor(path) {
    super(`${path}: 401 Unauthorized`);
    this.name = 'Unauthorized';
  }
}

export function credentials() {
  try {
    const c = JSON.parse(sessionStorage.getItem(KEY) || 'null');
    return c && (c.token || c.user) ? c : null;
  } catch {
    return null;
  }
}

export function setCredentials(c) {
  if (c) sessionStorage.setItem(KEY, JSON.stringify(c));
  else sessionStorage.removeItem(KEY);
}

function base64(text) {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin);
}

function authHeader(c) {
  if (!c) return null;
  if (c.token) return 'Bearer ' + c.token;
  return 'Basic ' + base64(`${c.user}:${c.password || ''}`);
}

// url resolves an API path against the page, so that a hub behind a
// reverse proxy's prefix works too; params with empty values are left out.
export function url(path, params = {}) {
  const u = new URL(path.replace(/^\//, ''), document.baseURI);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, v);
  }
  return u;
}

// request fetches path with the credentials and returns the response;
// 401 throws Unauthorized, other failures an Error saying what failed.
export async function request(path, { params, method = 'GET', body, creds = credentials(), signal } = {}) {
  const headers = { Accept: 'application/json' };
  const auth = authHeader(creds);
  if (auth) headers.Authorization = auth;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path, params), {
    method, headers, signal, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) throw new Unauthorized(path);
  if (!res.ok) {
    let msg = res.statusText;
    try { msg = (await res.text()).trim().slice(0, 300) || msg; } catch { /* keep the status */ }
    throw new Error(`${method} ${path}: ${res.status} ${msg}`);
  }
  return res;
}

// text is the body of a GET.
export async function text(path, params, signal) {
  return (await request(path, { params, signal })).text();
}

// json is the decoded body of a GET.
export async function json(path, params, signal) {
  return (await request(path, { params, signal })).json();
}

// login checks creds against the hub and opens a session: its cookie
// authorizes the event stream, since EventSource sends no headers.
export async function login(creds) {
  await session(creds);
  setCredentials(creds);
}

// session asks the hub for a session cookie for creds (a token, or a
// user and password).
export async function session(creds = credentials()) {
  if (!creds) return;
  await request('api/login', { method: 'POST', creds, body: creds.token ? { token: creds.token } : { user: creds.user, password: creds.password } });
}

export async function logout() {
  setCredentials(null);
  try { await request('api/logout', { method: 'POST', creds: null }); } catch { /* nothing to end */ }
}

// streamURL is the event stream's URL with params. Credentials are not in
// it (a URL ends up in logs): the session cookie carries them.
export function streamURL(params) {
  return url('api/events/stream', params);
}
