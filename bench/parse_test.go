package bench

import (
	"bufio"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestMedian(t *testing.T) {
	tests := []struct {
		name string
		give []time.Duration
		want time.Duration
	}{
		{name: "none", give: nil, want: 0},
		{name: "one", give: []time.Duration{7}, want: 7},
		{name: "odd, unsorted", give: []time.Duration{9, 1, 5}, want: 5},
		{name: "even: mean of the middle two", give: []time.Duration{4, 1, 10, 2}, want: 3},
		{name: "an outlier does not move it", give: []time.Duration{3, 2, 1e9}, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.give); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.give, got, tt.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100 - i) // 100 down to 1
	}
	tests := []struct {
		name  string
		give  []time.Duration
		giveP int
		want  time.Duration
	}{
		{name: "none", give: nil, giveP: 50, want: 0},
		{name: "one", give: []time.Duration{7}, giveP: 99, want: 7},
		{name: "p50 of 1..100", give: hundred, giveP: 50, want: 50},
		{name: "p99 of 1..100", give: hundred, giveP: 99, want: 99},
		{name: "p100 is the max", give: hundred, giveP: 100, want: 100},
		{name: "p99 of three is the max", give: []time.Duration{3, 1, 2}, giveP: 99, want: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.give, tt.giveP); got != tt.want {
				t.Errorf("percentile(%v, %d) = %v, want %v", tt.give, tt.giveP, got, tt.want)
			}
		})
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		name      string
		give      string
		wantState byte
		wantPPID  int
		wantErr   bool
	}{
		{name: "plain", give: "42 (sleep) S 7 42 42 0 -1", wantState: 'S', wantPPID: 7},
		{name: "spaces and parentheses in the name", give: "42 (a) b (c)) Z 1 0", wantState: 'Z', wantPPID: 1},
		{name: "no name", give: "42 sleep S 7", wantErr: true},
		{name: "truncated", give: "42 (sleep) S", wantErr: true},
		{name: "bad ppid", give: "42 (sleep) S x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat(tt.give)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseStat(%q) error = %v, want error %v", tt.give, err, tt.wantErr)
			}
			if err == nil && (got.state != tt.wantState || got.ppid != tt.wantPPID) {
				t.Errorf("parseStat(%q) = %c %d, want %c %d", tt.give, got.state, got.ppid, tt.wantState, tt.wantPPID)
			}
		})
	}
}

func TestParseVmRSS(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    int
		wantErr bool
	}{
		{name: "status", give: "Name:\tvigil\nVmPeak:\t  9000 kB\nVmRSS:\t    3124 kB\nRssAnon:\t 1000 kB\n", want: 3124},
		{name: "kernel thread: no VmRSS", give: "Name:\tkthreadd\nState:\tS\n", wantErr: true},
		{name: "unexpected unit", give: "VmRSS:\t3124 MB\n", wantErr: true},
		{name: "not a number", give: "VmRSS:\tmany kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVmRSS(bufio.NewScanner(strings.NewReader(tt.give)))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseVmRSS error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseVmRSS = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestChildrenOf checks the /proc scan that the RSS benchmark relies on to
// find an init's app and to make sure it is gone afterwards.
func TestChildrenOf(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatalf("finding sleep: %v", err)
	}
	p, err := start([]string{sleep, "1000"}, openDevNull(t))
	if err != nil {
		t.Fatalf("starting sleep: %v", err)
	}
	kids := childrenOf(os.Getpid())
	stop(t, p)
	if !slices.Contains(kids, p.Pid) {
		t.Errorf("childrenOf(self) = %v, want it to contain sleep's pid %d", kids, p.Pid)
	}
}
