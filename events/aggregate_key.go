package events

import "encoding/json"

// aggKey says which events are identical for aggregation.
type aggKey struct {
	kind   Kind
	rule   string
	exe    string
	action Action
	detail string // syscall name, file path
}

// keyOf returns e's aggregation key; ok is false for kinds that are never
// aggregated (their details differ in ways a count would hide).
func keyOf(e Event) (k aggKey, ok bool) {
	var d struct {
		Name string `json:"name"`
		Path string `json:"path"`
	}
	switch e.Kind {
	case KindSyscall, KindFile:
		if json.Unmarshal(e.Details, &d) != nil {
			return k, false
		}
	default:
		return k, false
	}
	k = aggKey{kind: e.Kind, rule: e.Rule, action: e.Action, detail: d.Name}
	if e.Kind == KindFile {
		k.detail = d.Path
	}
	if e.Process != nil {
		k.exe = e.Process.Exe
	}
	return k, true
}
