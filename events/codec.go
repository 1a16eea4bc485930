package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Encode validates e and returns its JSON form, without a trailing newline.
// HTML characters are not escaped: events go to logs and buses, not pages.
func Encode(e Event) ([]byte, error) {
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	return EncodeValid(e)
}

// EncodeValid is Encode for an event whose Validate returned nil and that
// was not changed since: it does not validate again (a ValidatedSink's
// way; validating costs more than encoding).
func EncodeValid(e Event) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Decode parses one JSON event strictly: an unknown schema version, kind,
// severity or action, a count below 1, a key in the wrong case or trailing
// data is an error. Unknown keys are ignored, since additive changes keep
// the schema version.
func Decode(b []byte) (Event, error) {
	if err := checkSchema(b); err != nil {
		return Event{}, fmt.Errorf("decoding event: %w", err)
	}
	if err := checkKeys(b); err != nil {
		return Event{}, fmt.Errorf("decoding event: %w", err)
	}
	var e Event
	if err := json.Unmarshal(b, &e); err != nil {
		return Event{}, fmt.Errorf("decoding event: %w", err)
	}
	e.normalize()
	if err := e.Validate(); err != nil {
		return Event{}, fmt.Errorf("decoding event %s: %w", e.ID, err)
	}
	return e, nil
}

// checkSchema looks at the version first: a newer version may not fit the
// Event type at all, and its reader deserves to be told why.
func checkSchema(b []byte) error {
	var probe struct {
		Schema *string `json:"schema"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return err
	}
	switch {
	case probe.Schema == nil:
		return errors.New("no schema field: not a vigil event")
	case *probe.Schema != SchemaVersion:
		return fmt.Errorf("%w %q: this vigil reads %s", ErrUnsupportedSchema, *probe.Schema, SchemaVersion)
	}
	return nil
}

// normalize gives equal events one Go form: encoding/json decodes an empty
// array to an empty slice but encodes an empty slice as nothing.
func (e *Event) normalize() {
	if e.Details != nil {
		var buf bytes.Buffer
		if json.Compact(&buf, e.Details) == nil {
			e.Details = buf.Bytes()
		}
	}
	if p := e.Process; p != nil {
		if len(p.Argv) == 0 {
			p.Argv = nil
		}
		if len(p.Ancestry) == 0 {
			p.Ancestry = nil
		}
	}
}
