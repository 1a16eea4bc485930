package hub

import "errors"

// Sentinel errors; each error the package returns that is about one of
// these matches it with errors.Is, and says more.
var (
	// ErrNoAuth is a Config whose Auth lets nobody in and is not
	// Insecure: a hub that serves events to anyone must say so.
	ErrNoAuth = errors.New("no tokens and no users, and not insecure")
	// ErrInvalidConfig is any other problem of a Config or an Auth.
	ErrInvalidConfig = errors.New("invalid hub configuration")
)

// bug reports an impossible state.
func bug(format string, err error) error {
	return errors.Join(errors.New("bug: "+format), err)
}
