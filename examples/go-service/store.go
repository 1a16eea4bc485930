package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
)

var errNotFound = errors.New("no such item")

// validID keeps ids to file names that cannot leave the data dir.
var validID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// store keeps each item in a file of its own in dir.
type store struct{ dir string }

func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("opening the store: %w", err)
	}
	return &store{dir: dir}, nil
}

func (s *store) get(id string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(s.dir, id))
	if errors.Is(err, os.ErrNotExist) {
		return nil, errNotFound
	}
	return b, err
}

// put writes the item to a temporary file and renames it, so that a reader
// never sees half of it.
func (s *store) put(id string, b []byte) error {
	f, err := os.CreateTemp(s.dir, ".tmp-"+id+"-")
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(f.Name())
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	return os.Rename(f.Name(), filepath.Join(s.dir, id))
}

func (s *store) delete(id string) error {
	err := os.Remove(filepath.Join(s.dir, id))
	if errors.Is(err, os.ErrNotExist) {
		return errNotFound
	}
	return err
}

func (s *store) list() ([]string, error) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, err
	}
	ids := []string{}
	for _, e := range entries {
		if validID.MatchString(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	slices.Sort(ids)
	return ids, nil
}
