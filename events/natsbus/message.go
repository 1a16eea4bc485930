package natsbus

import (
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vigilsec/vigil/events"
)

// The CloudEvents attributes of every event, as NATS headers (the
// CloudEvents NATS protocol binding, binary content mode): tools that
// understand CloudEvents read vigil's events without knowing vigil.
const (
	CESpecVersion = "1.0"
	// CETypePrefix starts ce-type; the event kind ends it.
	CETypePrefix = "dev.vigil.event."
	// CESourcePrefix starts ce-source; the workload ends it.
	CESourcePrefix = "/vigil/"
)

// header is what message needs of an encoded event.
type header struct {
	ID   string      `json:"id"`
	Kind events.Kind `json:"kind"`
	Time time.Time   `json:"time"`
}

// message makes the NATS message of an encoded event from outbox record
// seq.
func message(workload string, seq uint64, payload []byte) (*nats.Msg, error) {
	var h header
	if err := json.Unmarshal(payload, &h); err != nil {
		return nil, err
	}
	if h.ID == "" || h.Kind == "" {
		return nil, errors.New("no id or kind")
	}
	m := nats.NewMsg(Subject(workload, h.Kind))
	m.Data = payload
	m.Header.Set(jetstream.MsgIDHeader, h.ID)
	m.Header.Set("ce-specversion", CESpecVersion)
	m.Header.Set("ce-id", h.ID)
	m.Header.Set("ce-type", CETypePrefix+string(h.Kind))
	m.Header.Set("ce-source", CESourcePrefix+Token(workload))
	m.Header.Set("ce-time", h.Time.UTC().Format(time.RFC3339Nano))
	m.Header.Set("content-type", "application/json")
	m.Header.Set(seqHeader, strconv.FormatUint(seq, 10))
	return m, nil
}
