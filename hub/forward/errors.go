package forward

import (
	"errors"
	"fmt"
)

// ErrInvalid is matched by every Problem: the forwarders file is malformed.
var ErrInvalid = errors.New("invalid forwarders file")

// Problem is one thing wrong with a forwarders file, where it is. Line and
// Column are 1-based; 0 means unknown.
type Problem struct {
	File         string
	Line, Column int
	Msg          string
}

func (p *Problem) Error() string {
	switch {
	case p.Line == 0:
		return fmt.Sprintf("%s: %s", p.File, p.Msg)
	case p.Column == 0:
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
}

// Unwrap makes every Problem match ErrInvalid.
func (p *Problem) Unwrap() error { return ErrInvalid }
