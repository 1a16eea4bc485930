package events

import (
	"reflect"
	"strings"
	"testing"
)

func TestProcessDetails(t *testing.T) {
	fd := 0
	tests := []struct {
		name      string
		giveKind  Kind
		give      ProcessDetails
		wantJSON  []string // substrings of the details' JSON
		wantError string
	}{
		{
			name:     "outsider",
			giveKind: KindProcess,
			give:     ProcessDetails{What: "outsider", TTY: "/dev/pts/0", Entered: "docker exec", EntryPID: 42},
			wantJSON: []string{`"what":"outsider"`, `"tty":"/dev/pts/0"`, `"entered":"docker exec"`, `"entry_pid":42`},
		},
		{
			name:     "reverse shell on fd 0",
			giveKind: KindProcess,
			give: ProcessDetails{What: "reverse-shell", Protocol: "tcp", FD: &fd, FDs: []int{0, 1},
				LocalAddress: "127.0.0.1:5000", RemoteAddress: "127.0.0.1:4444", State: "established"},
			wantJSON: []string{`"fd":0`, `"fds":[0,1]`, `"remote_address":"127.0.0.1:4444"`, `"local_address"`},
		},
		{
			name:     "cpu hog",
			giveKind: KindProcess,
			give:     ProcessDetails{What: "cpu-hog", CPUPercent: 99.5, SustainedSeconds: 5, Threshold: 90},
			wantJSON: []string{`"cpu_percent":99.5`, `"sustained_seconds":5`, `"threshold_percent":90`},
		},
		{
			name:      "not a process event",
			giveKind:  KindFile,
			give:      ProcessDetails{What: "listener"},
			wantError: `event kind is "file"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := New(tt.giveKind, "proc.test", SeverityHigh, ActionAlert)
			e.Workload = "shop-api"
			e.Process = &Process{PID: 42, PPID: 0, UID: 0, Exe: "/bin/sh"}
			if err := e.SetDetails(tt.give); err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.wantJSON {
				if !strings.Contains(string(e.Details), s) {
					t.Errorf("details %s lack %s", e.Details, s)
				}
			}
			if tt.giveKind == KindProcess {
				e = roundTrip(t, e)
			}
			d, err := e.ProcessDetails()
			if tt.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantError) {
					t.Fatalf("error %v, want %q", err, tt.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(d, tt.give) {
				t.Errorf("round trip: got %+v, want %+v", d, tt.give)
			}
		})
	}
}

// roundTrip encodes e, checked against the schema, and decodes it back.
func roundTrip(t *testing.T, e Event) Event {
	t.Helper()
	b, err := EncodeValid(e)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return got
}
