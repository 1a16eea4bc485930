package linux

import "errors"

// ErrNotSupported is returned on platforms other than Linux: vigil fails
// closed rather than silently doing nothing.
var ErrNotSupported = errors.New("not supported on this platform")
