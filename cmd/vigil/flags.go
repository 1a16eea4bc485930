package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
)

// logFlags are the flags every command has.
type logFlags struct {
	level  zapcore.Level
	format string
}

// newFlagSet returns a flag set that stops at the first argument that is not
// a flag, so that the app's own flags are never vigil's.
func newFlagSet(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard) // errors are reported by dispatch, in one line
	fs.SortFlags = false
	return fs
}

// parse parses args, then sets every flag not given on the command line from
// its VIGIL_* variable. Every bad variable is reported, not just the first.
func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		v, ok := os.LookupEnv(envName(f.Name))
		if f.Changed || !ok {
			return
		}
		if err := fs.Set(f.Name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", envName(f.Name), v, errors.Unwrap(err)))
		}
	})
	return errors.Join(errs...)
}

// addLogFlags defines --log-level and --log-format on fs.
func addLogFlags(fs *pflag.FlagSet) *logFlags {
	lf := &logFlags{level: zapcore.InfoLevel}
	fs.Var(levelValue{&lf.level}, "log-level", "vigil's own log level: debug, info, warn or error")
	fs.StringVar(&lf.format, "log-format", "auto", "vigil's own log format: json, console, or auto (console on a terminal, JSON otherwise)")
	return lf
}

// levelValue adapts zapcore.Level to pflag.Value.
type levelValue struct{ *zapcore.Level }

func (levelValue) Type() string { return "level" }
