package procwatch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"sync"
)

// fileID says which content a file has without reading it: a file's
// content cannot change without its ctime changing.
type fileID struct {
	dev, ino     uint64
	size         int64
	mtime, ctime int64 // ns
}

// maxHashed bounds what one check reads: an executable larger than this
// is not the baseline's (which records sizes) anyway.
const maxHashed = 1 << 30

// maxCached bounds the cache: past it, it starts anew.
const maxCached = 4096

var errTooLarge = errors.New("file too large to hash")

// hashCache keeps the content hashes of executed files by their identity:
// a program run a thousand times is read once.
type hashCache struct {
	mu   sync.Mutex
	sums map[fileID]string
}

// has reports whether e's file's hash is cached.
func (c *hashCache) has(e *Exec) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.sums[e.id]
	return ok
}

// sum is the hex SHA-256 of e's file, read from the cache when its
// identity has not changed.
func (c *hashCache) sum(e *Exec) (string, error) {
	c.mu.Lock()
	s, ok := c.sums[e.id]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	if e.id.size > maxHashed {
		return "", errTooLarge
	}
	f, err := os.Open(e.open)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxHashed+1)); err != nil {
		return "", err
	}
	s = hex.EncodeToString(h.Sum(nil))
	c.mu.Lock()
	if c.sums == nil || len(c.sums) >= maxCached {
		c.sums = make(map[fileID]string)
	}
	c.sums[e.id] = s
	c.mu.Unlock()
	return s, nil
}
