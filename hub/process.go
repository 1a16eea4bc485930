package hub

import (
	"fmt"
	"math"
	"strconv"
)

// processMember checks a member of an event's process: the schema's
// type and range, and the range events.Decode checks (a pid of 1 or
// more). Unknown members are left alone, as readers must ignore them.
func processMember(m member) error {
	switch string(m.key) {
	case "pid":
		return isInt(m.value, 1, math.MaxInt32)
	case "ppid":
		return isInt(m.value, 0, math.MaxInt32)
	case "uid", "gid":
		return isInt(m.value, 0, math.MaxUint32)
	case "exe":
		return isString(m.value)
	case "argv":
		return eachItem(m.value, isString)
	case "ancestry":
		return eachItem(m.value, isAncestor)
	case "pids_differ":
		return isBool(m.value)
	}
	return nil
}

func isAncestor(v []byte) error {
	return checkObject("ancestor", v, ancestorKeys, ancestorMember)
}

func ancestorMember(m member) error {
	switch string(m.key) {
	case "pid":
		return isInt(m.value, 1, math.MaxInt32)
	case "exe":
		return isString(m.value)
	}
	return nil
}

// The checks of a JSON value v that json.Unmarshal has read; v is a
// value scanner found, without space around it.

func isString(v []byte) error {
	if v[0] != '"' {
		return fmt.Errorf("%s, want a string", v)
	}
	return nil
}

func isBool(v []byte) error {
	if s := string(v); s != "true" && s != "false" {
		return fmt.Errorf("%s, want true or false", v)
	}
	return nil
}

// isInt checks that v is an integer from lo to hi, as json.Unmarshal
// reads one into an integer (no fraction, no exponent).
func isInt(v []byte, lo, hi int64) error {
	n, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil || n < lo || n > hi {
		return fmt.Errorf("%s, want an integer from %d to %d", v, lo, hi)
	}
	return nil
}
