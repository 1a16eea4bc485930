package rules

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalid is matched by every Problem: the policy is malformed.
	ErrInvalid = errors.New("invalid policy")

	// ErrNoProfile is returned by SeccompSpec when the ProfileLoader returns
	// neither a profile nor an error: a bug in the caller, which must not
	// become "no filter".
	ErrNoProfile = errors.New("the profile loader returned no profile")
)

// Position is a 1-based line and column in a policy file. The zero Position
// means unknown (a Policy built in Go rather than parsed).
type Position struct {
	Line, Column int
}

// Problem is one thing wrong with a policy, where it is.
type Problem struct {
	File string
	Position
	Msg string
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
