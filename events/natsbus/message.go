package natsbus

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// An outbox record is one header line, then the event's JSON:
//
//	v1 <id> <kind> <time, Unix nanoseconds>\n{"schema":...}
//
// so that a replay builds the message without parsing the event.
const recordVersion = "v1"

// recordHead is the header line of an event's outbox record; the
// event's encoding follows it.
func recordHead(e events.Event) []byte {
	return []byte(recordVersion + " " + e.ID + " " + string(e.Kind) + " " + strconv.FormatInt(e.Time.UnixNano(), 10) + "\n")
}

// message makes the NATS message of outbox record seq.
func message(workload string, seq uint64, rec []byte) (*nats.Msg, error) {
	head, payload, ok := bytes.Cut(rec, []byte("\n"))
	if !ok {
		return nil, errors.New("no header line")
	}
	f := strings.Fields(string(head))
	if len(f) != 4 || f[0] != recordVersion || f[1] == "" || f[2] == "" {
		return nil, fmt.Errorf("bad header line %q", head)
	}
	id, kind := f[1], events.Kind(f[2])
	nanos, err := strconv.ParseInt(f[3], 10, 64)
	if err != nil {
		return nil, fmt.Errorf("bad time in header line %q", head)
	}
	ids := []string{id}
	return &nats.Msg{
		Subject: Subject(workload, kind),
		Data:    payload,
		Header: nats.Header{
			jetstream.MsgIDHeader: ids,
			"ce-specversion":      specVersion,
			"ce-id":               ids,
			"ce-type":             {CETypePrefix + string(kind)},
			"ce-source":           {CESourcePrefix + Token(workload)},
			"ce-time":             {time.Unix(0, nanos).UTC().Format(time.RFC3339Nano)},
			"content-type":        contentType,
			seqHeader:             {strconv.FormatUint(seq, 10)},
		},
	}, nil
}

// The header values every message shares; nats.go only reads them.
var (
	specVersion = []string{CESpecVersion}
	contentType = []string{"application/json"}
)
