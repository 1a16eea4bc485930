package natsbus

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// The stream's limits when vigil creates it. Past either, the stream
// discards its oldest events (DiscardOld): a full stream never refuses a
// guard's new ones.
const (
	// DefaultStreamMaxAge keeps a month of events: time to look into an
	// incident after the fact.
	DefaultStreamMaxAge = 30 * 24 * time.Hour
	// DefaultStreamMaxBytes bounds the stream's disk: some 15 million
	// syscall events (about 700 bytes each in the stream), months of a
	// small fleet's violations once storms are folded, on a disk most
	// hosts have: nats-server refuses to create a stream whose cap its
	// store cannot hold (by default 75 % of the free disk).
	DefaultStreamMaxBytes = 10 << 30
	// MinStreamMaxAge and MinStreamMaxBytes are the least limits taken:
	// less would discard events before anyone could read them.
	MinStreamMaxAge   = time.Minute
	MinStreamMaxBytes = 1 << 20
)

// StreamLimits bound the stream vigil creates, and say how many copies
// of it a cluster keeps.
type StreamLimits struct {
	// MaxAge: older events are discarded (DefaultStreamMaxAge when 0, no
	// limit when negative).
	MaxAge time.Duration
	// MaxBytes: past it, the oldest events are discarded
	// (DefaultStreamMaxBytes when 0, no limit when negative).
	MaxBytes int64
	// Replicas is how many servers of a cluster hold the stream, 1 to
	// MaxReplicas; 0 is auto: ClusterReplicas where the cluster can place
	// them, else 1 (see CreateStream).
	Replicas int
}

// resolved is l with its defaults: positive for a limit, -1 for none.
func (l StreamLimits) resolved() StreamLimits {
	switch {
	case l.MaxAge == 0:
		l.MaxAge = DefaultStreamMaxAge
	case l.MaxAge < 0:
		l.MaxAge = -1
	}
	switch {
	case l.MaxBytes == 0:
		l.MaxBytes = DefaultStreamMaxBytes
	case l.MaxBytes < 0:
		l.MaxBytes = -1
	}
	return l
}

// Validate reports every problem of l at once.
func (l StreamLimits) Validate() error {
	var errs []error
	if l.MaxAge > 0 && l.MaxAge < MinStreamMaxAge {
		errs = append(errs, fmt.Errorf("stream max age %s: at least %s (or none)", FormatAge(l.MaxAge), FormatAge(MinStreamMaxAge)))
	}
	if l.MaxBytes > 0 && l.MaxBytes < MinStreamMaxBytes {
		errs = append(errs, fmt.Errorf("stream max bytes %s: at least %s (or none)", FormatSize(l.MaxBytes), FormatSize(MinStreamMaxBytes)))
	}
	if l.Replicas < 0 || l.Replicas > MaxReplicas {
		errs = append(errs, fmt.Errorf("stream replicas %d: 1 to %d (or auto)", l.Replicas, MaxReplicas))
	}
	return errors.Join(errs...)
}

// String says l as a person would read it: "max age 30d, max bytes
// 10GiB", and ", replicas 3" when they are not auto.
func (l StreamLimits) String() string {
	l = l.resolved()
	age, size := "none", "none"
	if l.MaxAge > 0 {
		age = FormatAge(l.MaxAge)
	}
	if l.MaxBytes > 0 {
		size = FormatSize(l.MaxBytes)
	}
	s := "max age " + age + ", max bytes " + size
	if l.Replicas > 0 {
		s += ", replicas " + strconv.Itoa(l.Replicas)
	}
	return s
}

// AgeFlag is l's MaxAge as a flag (flag.Value, pflag.Value): a Go
// duration or a number of days ("30d"); 0 is no limit.
type AgeFlag struct{ L *StreamLimits }

func (f AgeFlag) String() string {
	if f.L == nil {
		return ""
	}
	switch l := f.L.resolved(); {
	case l.MaxAge < 0:
		return "0"
	default:
		return FormatAge(l.MaxAge)
	}
}

func (f AgeFlag) Set(s string) error {
	d, err := ParseAge(s)
	if err != nil {
		return err
	}
	if d > 0 && d < MinStreamMaxAge {
		return fmt.Errorf("at least %s (0: no limit)", FormatAge(MinStreamMaxAge))
	}
	if d == 0 {
		d = -1
	}
	f.L.MaxAge = d
	return nil
}

func (AgeFlag) Type() string { return "age" }

// SizeFlag is l's MaxBytes as a flag: bytes, or with a unit (500MB,
// 10GiB); 0 is no limit.
type SizeFlag struct{ L *StreamLimits }

func (f SizeFlag) String() string {
	if f.L == nil {
		return ""
	}
	switch l := f.L.resolved(); {
	case l.MaxBytes < 0:
		return "0"
	default:
		return FormatSize(l.MaxBytes)
	}
}

func (f SizeFlag) Set(s string) error {
	n, err := ParseSize(s)
	if err != nil {
		return err
	}
	if n > 0 && n < MinStreamMaxBytes {
		return fmt.Errorf("at least %s (0: no limit)", FormatSize(MinStreamMaxBytes))
	}
	if n == 0 {
		n = -1
	}
	f.L.MaxBytes = n
	return nil
}

func (SizeFlag) Type() string { return "size" }

// ParseAge parses a Go duration ("720h", "90m") or a number of days
// ("30d"). It refuses a negative one.
func ParseAge(s string) (time.Duration, error) {
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(days, 64)
		if err != nil || math.IsNaN(n) || n*24 > float64(math.MaxInt64/time.Hour) {
			return 0, errors.New("not a number of days")
		}
		d = time.Duration(n * 24 * float64(time.Hour))
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, errors.New("not a duration (30d, 720h, 90m)")
		}
	}
	if d < 0 {
		return 0, errors.New("negative (0: no limit)")
	}
	return d, nil
}

// FormatAge is d in whole days when it is some ("30d"), else as Go says it.
func FormatAge(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// sizeUnits are the units of sizes: SI ones are powers of 1000, IEC ones
// of 1024.
var sizeUnits = []struct {
	name string
	n    int64
}{
	{"PiB", 1 << 50}, {"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
	{"PB", 1e15}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"B", 1},
}

// ParseSize parses a number of bytes, with a unit or without: 1048576,
// 500MB (10^6 bytes each), 1.5GiB (2^30). Units are case-insensitive; a
// bare K, M, G, T or P is refused, being either.
func ParseSize(s string) (int64, error) {
	num, unit := splitUnit(strings.TrimSpace(s))
	if num == "" {
		return 0, errors.New("not a size (10GiB, 500MB, 1048576)")
	}
	mult := int64(1)
	if unit != "" {
		mult = 0
		for _, u := range sizeUnits {
			if strings.EqualFold(unit, u.name) {
				mult = u.n
			}
		}
		if mult == 0 {
			return 0, fmt.Errorf("unknown unit %q (B, kB, MB, GB, TB, PB, or KiB, MiB, GiB, TiB, PiB)", unit)
		}
	}
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	switch {
	case err != nil || math.IsNaN(n):
		return 0, errors.New("not a size (10GiB, 500MB, 1048576)")
	case n < 0:
		return 0, errors.New("negative (0: no limit)")
	case n*float64(mult) >= math.MaxInt64:
		return 0, errors.New("too large")
	}
	return int64(n * float64(mult)), nil
}

// splitUnit splits "1.5GiB" into "1.5" and "GiB".
func splitUnit(s string) (num, unit string) {
	i := strings.LastIndexAny(s, "0123456789.")
	return s[:i+1], strings.TrimSpace(s[i+1:])
}

// FormatSize is n in the largest unit that says it exactly: "10GiB",
// "500MB", "1000001B".
func FormatSize(n int64) string {
	for _, u := range sizeUnits {
		if n != 0 && n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
