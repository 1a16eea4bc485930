// The hub's HTTP API. The page keeps no credential: a login (a token, or
// a user and password) is sent once, to POST /api/login, and the session
// cookie it sets (HTTP-only) authorizes every request after it, the
// event stream's included. A 401 means the session is over (a logout,
// its expiry, a restart of the hub): the page asks to sign in again.

// SIGNED_IN marks, in sessionStorage, that this tab signed in: it only
// decides whether "Sign out" shows, and holds nothing secret.
const SIGNED_IN = 'vigil.signedIn';

export class Unauthorized extends Error {
  constructor(path) {
    super(`${path}: 401 Unauthorized`);
    this.name = 'Unauthorized';
  }
}

export function signedIn() {
  try {
    return sessionStorage.getItem(SIGNED_IN) === '1';
  } catch {
    return false;
  }
}

function setSignedIn(yes) {
  try {
    if (yes) sessionStorage.setItem(SIGNED_IN, '1');
    else sessionStorage.removeItem(SIGNED_IN);
  } catch { /* storage refused: "Sign out" only shows less */ }
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

// request fetches path with the session cookie and returns the response;
// 401 throws Unauthorized, other failures an Error saying what failed.
export async function request(path, { params, method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(path, params), {
    method, headers, signal, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) {
    setSignedIn(false);
    throw new Unauthorized(path);
  }
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

// login sends creds (a token, or a user and password) to the hub, which
// checks them and sets the session cookie; they are kept nowhere.
export async function login(creds) {
  await request('api/login', { method: 'POST', body: creds.token ? { token: creds.token } : { user: creds.user, password: creds.password } });
  setSignedIn(true);
}

export async function logout() {
  setSignedIn(false);
  try { await request('api/logout', { method: 'POST' }); } catch { /* nothing to end */ }
}

// streamURL is the event stream's URL with params. Credentials are not in
// it (a URL ends up in logs): the session cookie carries them.
export function streamURL(params) {
  return url('api/events/stream', params);
}
