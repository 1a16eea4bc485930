// Package yamldoc reads the one YAML document of a configuration file (a
// policy, the forwarders) as a node tree, whose nodes know their line and
// column, and finds the line in go-yaml's own errors: what every loader
// needs to name file:line:column.
package yamldoc

import (
	"bytes"
	"errors"
	"io"
	"regexp"
	"strconv"
	"sync"

	"go.yaml.in/yaml/v3"
)

// ErrEmpty is Parse's error for data that holds no document.
var ErrEmpty = errors.New("no YAML document")

// Parse parses exactly one YAML document and returns its root node.
func Parse(data []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return nil, ErrEmpty
		}
		return nil, err
	}
	if len(doc.Content) == 0 {
		return nil, ErrEmpty
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		return nil, errors.New("more than one YAML document")
	}
	return doc.Content[0], nil
}

// yamlLine finds the line in go-yaml's error messages ("yaml: line 3: …").
var yamlLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^yaml: line (\d+): `) })

// Where splits a Parse error into its line (0 when it names none) and
// what is wrong ("invalid YAML: …" for go-yaml's own).
func Where(err error) (line int, msg string) {
	msg = err.Error()
	if m := yamlLine().FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = "invalid YAML: " + msg[len(m[0]):]
	}
	return line, msg
}
