package rules

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tt := range examples {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse("policy.yaml", []byte(tt.give))
			if got := errLines(err); !equal(got, tt.wantErrs) {
				t.Fatalf("Parse errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.wantErrs, "\n"))
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("Parse error %v does not match ErrInvalid", err)
			}
			if (p == nil) == (err == nil) {
				t.Errorf("Parse = %v, %v: want exactly one of policy and error", p, err)
			}
		})
	}
}

// errLines splits a joined error into its lines; nil for nil.
func errLines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n") && len(a) == len(b)
}
