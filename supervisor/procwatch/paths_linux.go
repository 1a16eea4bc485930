package procwatch

import (
	"sync"

	"github.com/vigilsec/vigil/internal/linux"
)

// maxPaths bounds the real paths kept: past it the cache starts over.
const maxPaths = 4096

// paths keeps the real path of each file an exec named, by the path as
// named (absolute) and the file's identity: a stat that finds the same
// file again (one call) spares the four of linux.Resolve. A path that
// names another file now (a symlink changed, a file replaced) is resolved
// again; one that names the same file by another route gets the real path
// it had, which names the same file.
type paths struct {
	mu   sync.Mutex
	real map[string]resolvedPath
}

type resolvedPath struct {
	real     string
	dev, ino uint64
}

func (c *paths) resolve(p string) (string, linux.FileStat, error) {
	st, err := linux.Stat(p)
	if err != nil {
		return "", linux.FileStat{}, err
	}
	c.mu.Lock()
	r, ok := c.real[p]
	c.mu.Unlock()
	if ok && r.dev == st.Dev && r.ino == st.Ino {
		return r.real, st, nil
	}
	real, st, err := linux.Resolve(p)
	if err != nil {
		return "", linux.FileStat{}, err
	}
	c.mu.Lock()
	if c.real == nil || len(c.real) >= maxPaths {
		c.real = make(map[string]resolvedPath)
	}
	c.real[p] = resolvedPath{real: real, dev: st.Dev, ino: st.Ino}
	c.mu.Unlock()
	return real, st, nil
}
