package hub

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/vigilsec/vigil/events"
)

// The keys of the objects of an event, as the schema spells them.
var (
	eventKeys     = jsonKeys(events.Event{})
	containerKeys = jsonKeys(events.Container{})
	processKeys   = jsonKeys(events.Process{})
	ancestorKeys  = jsonKeys(events.Ancestor{})
)

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

// member is one member of a JSON object.
type member struct {
	key   []byte
	value []byte
}

// eachMember calls fn with each member of obj, a JSON object that
// json.Unmarshal has read (see scanner), after checking its key.
// encoding/json matches keys without regard to case and takes the last
// of keys that repeat, while the dashboard and the forwarders' receivers
// take keys as they are spelled: a key that repeats, or that differs
// from one of known by case alone, would show them another event than
// the hub indexed, and is an error. So is a known key that is null, as
// in events.Decode.
func eachMember(obj []byte, known []string, fn func(m member) error) error {
	s := scanner{b: obj}
	if !s.eat('{') {
		return errors.New("not a JSON object")
	}
	var buf [16][]byte
	seen := buf[:0]
	for more := !s.eat('}'); more; more = !s.eat('}') {
		m, err := s.member()
		if err != nil {
			return err
		}
		if err := checkMember(m, seen, known); err != nil {
			return err
		}
		if err := fn(m); err != nil {
			return err
		}
		seen = append(seen, m.key)
		if !s.eat(',') && !s.at('}') {
			return errMalformed
		}
	}
	return s.end()
}

func checkMember(m member, seen [][]byte, known []string) error {
	for _, k := range seen {
		if string(k) == string(m.key) {
			return fmt.Errorf("key %q: repeated", m.key)
		}
	}
	for _, want := range known {
		if string(m.key) == want {
			if string(m.value) == "null" {
				return fmt.Errorf("key %q: null", m.key)
			}
			return nil
		}
	}
	for _, want := range known {
		if strings.EqualFold(string(m.key), want) {
			return fmt.Errorf("key %q: keys are case-sensitive, want %q", m.key, want)
		}
	}
	return nil
}

// eachItem calls fn with each element of arr, a JSON array
// json.Unmarshal has read; an error of fn says which element.
func eachItem(arr []byte, fn func(v []byte) error) error {
	s := scanner{b: arr}
	if !s.eat('[') {
		return errors.New("not a JSON array")
	}
	for i, more := 0, !s.eat(']'); more; i, more = i+1, !s.eat(']') {
		v, err := s.value()
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return fmt.Errorf("[%d]: %w", i, err)
		}
		if !s.eat(',') && !s.at(']') {
			return errMalformed
		}
	}
	return s.end()
}

// body is what checkBody reads of an event.
type body struct {
	container, process, details []byte
}

// checkBody checks raw's keys and the JSON types of what the hub serves
// and does not index, which the dashboard reads: the container, the
// process (see processMember), and that the details, which the kind
// says, are an object. What each kind's details hold is left to
// events.Decode: the dashboard shows them as a tree of whatever JSON
// they are.
func checkBody(kind events.Kind, raw []byte) error {
	var b body
	err := eachMember(raw, eventKeys, func(m member) error {
		switch string(m.key) {
		case "container":
			b.container = m.value
		case "process":
			b.process = m.value
		case "details":
			b.details = m.value
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(b.checkContainer(), b.checkProcess(kind), b.checkDetails(kind))
}

func (b body) checkContainer() error {
	if b.container == nil {
		return nil
	}
	return checkObject("container", b.container, containerKeys, func(m member) error { return isString(m.value) })
}

func (b body) checkProcess(kind events.Kind) error {
	switch {
	case b.process != nil:
		return checkObject("process", b.process, processKeys, processMember)
	case kind.NeedsProcess():
		return fmt.Errorf("process: missing, %s events need one", kind)
	}
	return nil
}

func (b body) checkDetails(kind events.Kind) error {
	switch {
	case b.details != nil && b.details[0] != '{': // a value of eachMember: not empty, no leading space
		return errors.New("details: not a JSON object")
	case b.details == nil && kind != events.KindHeartbeat:
		return fmt.Errorf("details: missing, %s events need them", kind)
	}
	return nil
}

// checkObject checks that raw is an object whose keys are as eachMember
// wants, and each member as check says; where says which object.
func checkObject(where string, raw []byte, known []string, check func(m member) error) error {
	err := eachMember(raw, known, func(m member) error {
		if err := check(m); err != nil {
			return fmt.Errorf("%s: %w", m.key, err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}
