//go:build e2e && !linux

package examples_test

import (
	"errors"
	"os"
)

func openPTY() (ptm, tty *os.File, err error) {
	return nil, nil, errors.New("opening a pseudo-terminal is only implemented on Linux")
}
