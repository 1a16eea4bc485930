package forward

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/boundedfile"
	"github.com/vigilsec/vigil/internal/yamldoc"
)

// The limits of a forwarders file: far above what a real one needs, so
// that whatever a file holds, reading it stays cheap.
const (
	// MaxFileBytes caps the forwarders file.
	MaxFileBytes = 256 << 10
	// maxHeadersFileBytes caps a headersFile.
	maxHeadersFileBytes = 64 << 10
	// maxForwarders caps the forwarders list; maxItems every other list.
	maxForwarders = 256
	maxItems      = 1024
	// maxString caps every string.
	maxString = 4096
	// maxProblems caps the problems reported.
	maxProblems = 100
)

// Load reads and validates the forwarders file at path, a regular file of
// at most MaxFileBytes. The error joins every Problem, in file order, each
// "file:line:column: what is wrong".
func Load(path string) (*Config, error) {
	data, err := boundedfile.Read(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("loading forwarders: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates a forwarders file. name labels problems and
// anchors a relative headersFile (its directory); environment variables
// come from the process's environment.
func Parse(name string, data []byte) (*Config, error) {
	if len(data) > MaxFileBytes {
		return nil, errors.Join(&Problem{File: name, Msg: fmt.Sprintf("%d bytes: a forwarders file is at most %d", len(data), MaxFileBytes)})
	}
	root, err := document(data)
	if err != nil {
		return nil, errors.Join(yamlProblem(name, err))
	}
	d := &decoder{file: name, dir: filepath.Dir(name), getenv: os.LookupEnv}
	cfg := &Config{File: name}
	d.config(root, cfg)
	if err := d.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// document parses the one YAML document of data.
func document(data []byte) (*yaml.Node, error) {
	root, err := yamldoc.Parse(data)
	if errors.Is(err, yamldoc.ErrEmpty) {
		return nil, errors.New("empty file")
	}
	return root, err
}

func yamlProblem(name string, err error) *Problem {
	line, msg := yamldoc.Where(err)
	return &Problem{File: name, Line: line, Msg: msg}
}

// err joins the problems found, in file order.
func (d *decoder) err() error {
	slices.SortStableFunc(d.problems, func(a, b *Problem) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	errs := make([]error, 0, len(d.problems)+1)
	for _, p := range d.problems {
		errs = append(errs, p)
	}
	if d.dropped > 0 {
		errs = append(errs, &Problem{File: d.file, Msg: fmt.Sprintf("%d more problems not shown", d.dropped)})
	}
	return errors.Join(errs...)
}
