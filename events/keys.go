package events

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// encoding/json matches keys case-insensitively, so {"KIND": ...} would
// fill Kind although the schema (and every other reader) sees no kind, and
// it takes null for an empty value, which the schema does not. checkKeys
// rejects both in the event, its container, its process and the process's
// ancestry.
var (
	eventKeys     = jsonKeys(Event{})
	containerKeys = jsonKeys(Container{})
	processKeys   = jsonKeys(Process{})
	ancestorKeys  = jsonKeys(Ancestor{})
)

func checkKeys(b []byte) error {
	top, err := keysIn("", b, eventKeys)
	if err != nil {
		return err
	}
	if _, err := keysIn("container.", top["container"], containerKeys); err != nil {
		return err
	}
	proc, err := keysIn("process.", top["process"], processKeys)
	if err != nil {
		return err
	}
	var ancestry []json.RawMessage
	if json.Unmarshal(proc["ancestry"], &ancestry) != nil {
		return nil // not an array: Unmarshal reports it
	}
	for i, a := range ancestry {
		if _, err := keysIn(fmt.Sprintf("process.ancestry[%d].", i), a, ancestorKeys); err != nil {
			return err
		}
	}
	return nil
}

// keysIn returns the members of raw if it is an object whose known keys are
// spelled exactly and not null; a value that is not an object is left for
// Unmarshal to report.
func keysIn(prefix string, raw []byte, known []string) (map[string]json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &obj) != nil {
		return nil, nil
	}
	for k, v := range obj {
		if string(v) == "null" && slices.Contains(known, k) {
			return nil, fmt.Errorf("%w: key %q: null", ErrInvalid, prefix+k)
		}
		for _, want := range known {
			if k != want && strings.EqualFold(k, want) {
				return nil, fmt.Errorf("%w: key %q: keys are case-sensitive, want %q", ErrInvalid, prefix+k, prefix+want)
			}
		}
	}
	return obj, nil
}

// jsonKeys lists the JSON keys of struct v's fields.
func jsonKeys(v any) []string {
	t := reflect.TypeOf(v)
	keys := make([]string, 0, t.NumField())
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		keys = append(keys, name)
	}
	return keys
}
