// The dashboard's entry point: routes (#/events, #/events/<id>,
// #/workloads, #/rules), the live stream, the sign-in dialog.
import { $, $$ } from './dom.js';
import { logout, signedIn } from './api.js';
import { Live } from './stream.js';
import { EventsPage } from './events.js';
import { WorkloadsPage, workloadName, workloadState } from './workloads.js';
import { RulesPage } from './rules.js';
import { Login } from './login.js';

const VIEWS = ['events', 'workloads', 'rules'];
let current = '';

const conn = $('#conn');
function setState(state) {
  const paused = events && events.paused;
  const shown = paused && state === 'live' ? 'paused' : state;
  conn.dataset.state = shown;
  $('.conn-text', conn).textContent = { live: 'live', paused: 'live, paused', connecting: 'connecting', reconnecting: 'reconnecting…', error: 'disconnected' }[shown] || shown;
  liveState = state;
}
let liveState = 'connecting';

function unauthorized() {
  live.close();
  setState('error');
  login.open();
}

const live = new Live({
  onEvent: (data) => events.streamed(data),
  onWorkload: (data) => workloads.changed(data),
  onState: setState,
  onResync: () => events.resync(),
  onUnauthorized: unauthorized,
});

function navigate(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

const events = new EventsPage({ live, navigate, unauthorized });
events.onPause = () => setState(liveState);
const workloads = new WorkloadsPage({
  unauthorized,
  onList: (list) => {
    const silent = list.filter((w) => workloadState(w) === 'silent').length;
    const badge = $('#silent-count');
    badge.hidden = silent === 0;
    badge.textContent = String(silent);
    badge.title = `${silent} silent`;
    events.known(list.map(workloadName), []);
  },
});
const rules = new RulesPage({ unauthorized, onRules: (names) => events.known([], names) });
const login = new Login({
  onSignedIn: () => {
    $('#logout').hidden = !signedIn();
    events.filters = null; // reload and reopen the stream
    route();
    workloads.refresh();
  },
});

// decodedId is the event id of an address; a malformed escape (#/events/%)
// names no event rather than breaking navigation.
function decodedId(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return '';
  }
}

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?');
  const [view, ...rest] = path.split('/');
  const name = VIEWS.includes(view) ? view : 'events';
  if (!VIEWS.includes(view)) {
    history.replaceState(null, '', '#/events');
  }
  for (const v of VIEWS) $(`#view-${v}`).hidden = v !== name;
  for (const a of $$('.tabs a')) {
    if (a.dataset.view === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${{ events: 'Live events', workloads: 'Workloads', rules: 'Rules' }[name]} · vigil`;
  if (current !== name) {
    if (current === 'workloads') workloads.hide();
    if (current === 'rules') rules.hide();
  }
  current = name;
  // The stream serves every page (workload changes come on it too), so it
  // opens with the events page's filters whatever the page.
  if (name === 'events') events.show(decodedId(rest.join('/')), new URLSearchParams(query));
  else if (events.filters === null) events.show('', new URLSearchParams(''));
  if (name === 'workloads') workloads.show();
  if (name === 'rules') rules.show();
}

$('#logout').hidden = !signedIn();
$('#logout').addEventListener('click', async () => {
  await logout();
  location.reload();
});
window.addEventListener('hashchange', route);
// The session cookie, if any, authorizes the first requests; a 401 opens
// the sign-in dialog.
route();
if (current !== 'workloads') workloads.refresh();
