// The live stream: one EventSource on /api/events/stream with the events
// page's filters. It carries events (event: event) and workload changes
// (event: workload). The browser reconnects by itself with Last-Event-ID
// after a network error; when the hub refuses the stream (an HTTP error),
// this reopens it with a backoff and asks the page to fill the gap.
import { request, streamURL, Unauthorized } from './api.js';

export class Live {
  constructor({ onEvent, onWorkload, onState, onResync, onUnauthorized }) {
    Object.assign(this, { onEvent, onWorkload, onState, onResync, onUnauthorized });
    this.es = null;
    this.params = {};
    this.retry = 0;
    this.timer = 0;
  }

  open(params = this.params) {
    this.close();
    this.params = params;
    this.onState('connecting');
    const es = new EventSource(streamURL(params), { withCredentials: true });
    this.es = es;
    es.addEventListener('open', () => {
      this.retry = 0;
      this.onState('live');
    });
    es.addEventListener('event', (m) => this.onEvent(m.data, m.lastEventId));
    es.addEventListener('workload', (m) => this.onWorkload(m.data));
    es.addEventListener('error', () => this.failed(es));
  }

  close() {
    clearTimeout(this.timer);
    if (this.es) this.es.close();
    this.es = null;
  }

  async failed(es) {
    if (es !== this.es) return;
    if (es.readyState === EventSource.CONNECTING) {
      this.onState('reconnecting');
      return;
    }
    this.es = null;
    this.onState('error');
    try {
      // A 401 says the session is over (a hub restarted, it expired):
      // the page asks to sign in again.
      await request('api/workloads');
    } catch (e) {
      if (e instanceof Unauthorized) {
        this.onUnauthorized();
        return;
      }
    }
    const wait = Math.min(15000, 1000 * 2 ** this.retry++);
    this.timer = setTimeout(() => {
      this.open();
      this.onResync();
    }, wait);
  }
}
