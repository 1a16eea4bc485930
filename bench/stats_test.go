package bench

import (
	"slices"
	"time"
)

// median returns the middle of samples (the mean of the two middle ones for
// an even count), or 0 when there are none. samples is left unsorted.
func median(samples []time.Duration) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

// percentile returns the p-th percentile of samples (nearest rank), or 0
// when there are none. samples is left unsorted.
func percentile(samples []time.Duration, p int) time.Duration {
	if len(samples) == 0 {
		return 0
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	return s[(len(s)*p+99)/100-1]
}
