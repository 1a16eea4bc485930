package hub

import (
	"sync"
)

// clientBuffer is how many messages an SSE client may have waiting; a
// client that falls further behind is dropped (it reconnects with
// Last-Event-ID and resumes from what the hub holds).
const clientBuffer = 1024

// maxClients bounds the SSE clients, each with its buffer and its
// goroutine; past it, a stream is refused until one ends.
const maxClients = 1000

// message is one SSE message: an event (pos > 0) or a workload.
type message struct {
	pos      uint64
	kind     string // the SSE event type: "event" or "workload"
	id       string
	data     []byte
	e        *entry // the event, for the filter
	workload string
}

// client is one SSE connection.
type client struct {
	m    *matcher
	ch   chan message
	gone chan struct{} // closed when the broker dropped it
}

// broker fans messages out to the SSE clients, never waiting for one:
// ingest must not block on a slow reader.
type broker struct {
	mu      sync.Mutex
	clients map[*client]struct{}
}

func newBroker() *broker { return &broker{clients: map[*client]struct{}{}} }

// subscribe returns a new client of the messages f selects, or nil when
// maxClients are subscribed.
func (b *broker) subscribe(f filter) *client {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.clients) >= maxClients {
		return nil
	}
	c := &client{m: f.matcher(), ch: make(chan message, clientBuffer), gone: make(chan struct{})}
	b.clients[c] = struct{}{}
	return c
}

func (b *broker) unsubscribe(c *client) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.dropLocked(c)
}

func (b *broker) dropLocked(c *client) {
	if _, ok := b.clients[c]; ok {
		delete(b.clients, c)
		close(c.gone)
	}
}

// send gives m to every client it matches; a client whose buffer is full
// is dropped.
func (b *broker) send(m message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		if !c.wants(m) {
			continue
		}
		select {
		case c.ch <- m:
		default:
			b.dropLocked(c)
		}
	}
}

func (c *client) wants(m message) bool {
	if m.e != nil {
		return c.m.match(m.e)
	}
	return c.m.f.workload == "" || c.m.f.workload == m.workload
}

// count is how many clients are connected.
func (b *broker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.clients)
}
