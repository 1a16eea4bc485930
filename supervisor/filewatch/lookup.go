package filewatch

import (
	"slices"
	"strings"
)

// Lookup finds path's entry (Entries are sorted by Path).
func (m *Manifest) Lookup(path string) (*Entry, bool) {
	i, ok := slices.BinarySearchFunc(m.Entries, path, func(e Entry, p string) int { return strings.Compare(e.Path, p) })
	if !ok {
		return nil, false
	}
	return &m.Entries[i], true
}

// Executables are the paths of the regular files with an execute bit: the
// files the app may execute under drift: deny.
func (m *Manifest) Executables() []string {
	var paths []string
	for i := range m.Entries {
		if e := &m.Entries[i]; e.Type == TypeFile && e.Mode&0o111 != 0 {
			paths = append(paths, e.Path)
		}
	}
	return paths
}
