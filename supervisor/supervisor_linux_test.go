package supervisor

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name       string
		giveStatus syscall.WaitStatus
		want       int
	}{
		{name: "exit 0", giveStatus: 0, want: 0},
		{name: "exit 3", giveStatus: 3 << 8, want: 3},
		{name: "exit 255", giveStatus: 255 << 8, want: 255},
		{name: "SIGTERM", giveStatus: syscall.WaitStatus(syscall.SIGTERM), want: 143},
		{name: "SIGKILL", giveStatus: syscall.WaitStatus(syscall.SIGKILL), want: 137},
		{name: "SIGSEGV with core", giveStatus: syscall.WaitStatus(syscall.SIGSEGV) | 0x80, want: 139},
		{name: "real-time 64", giveStatus: 64, want: 192},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := exitCode(tt.giveStatus); got != tt.want {
				t.Errorf("exitCode(%#x) = %d, want %d", uint32(tt.giveStatus), got, tt.want)
			}
		})
	}
}

func TestExecError(t *testing.T) {
	tests := []struct {
		name    string
		giveErr error
		want    error
	}{
		{name: "ENOENT", giveErr: syscall.ENOENT, want: ErrCommandNotFound},
		{name: "ENOTDIR", giveErr: syscall.ENOTDIR, want: ErrCommandNotFound},
		{name: "EACCES", giveErr: syscall.EACCES, want: ErrNotExecutable},
		{name: "ENOEXEC", giveErr: syscall.ENOEXEC, want: ErrNotExecutable},
		{name: "EISDIR", giveErr: syscall.EISDIR, want: ErrNotExecutable},
		{name: "ETXTBSY", giveErr: syscall.ETXTBSY, want: ErrNotExecutable},
		{name: "EAGAIN is vigil's own", giveErr: syscall.EAGAIN, want: syscall.EAGAIN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := execError("/app", tt.giveErr); !errors.Is(err, tt.want) {
				t.Errorf("execError(%v) = %v, want it to match %v", tt.giveErr, err, tt.want)
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app")
	if err := os.WriteFile(app, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "/nonexistent:"+dir)
	tests := []struct {
		name     string
		giveName string
		wantPath string
		wantErr  error
	}{
		{name: "found in PATH", giveName: "app", wantPath: app},
		{name: "slash: taken as is", giveName: "./missing", wantPath: "./missing"},
		{name: "not in PATH", giveName: "vigil-no-such-app", wantErr: ErrCommandNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.giveName)
			if !errors.Is(err, tt.wantErr) || got != tt.wantPath {
				t.Errorf("lookPath(%q) = %q, %v; want %q, %v", tt.giveName, got, err, tt.wantPath, tt.wantErr)
			}
		})
	}
}

func TestBelow(t *testing.T) {
	// 1 ← 10 (vigil) ← 11 ← 12; 1 ← 20; 30 ↔ 31 (a cycle of recycled pids).
	parent := map[int32]int32{1: 0, 10: 1, 11: 10, 12: 11, 20: 1, 30: 31, 31: 30}
	tests := []struct {
		name    string
		givePid int32
		want    bool
	}{
		{name: "child", givePid: 11, want: true},
		{name: "grandchild", givePid: 12, want: true},
		{name: "vigil itself", givePid: 10, want: false},
		{name: "sibling tree", givePid: 20, want: false},
		{name: "init", givePid: 1, want: false},
		{name: "cycle", givePid: 30, want: false},
		{name: "unknown", givePid: 99, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := below(tt.givePid, 10, parent); got != tt.want {
				t.Errorf("below(%d, 10) = %v, want %v", tt.givePid, got, tt.want)
			}
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		give    Config
		wantErr bool
	}{
		{name: "default with a command", give: Config{Args: []string{"app"}, Grace: DefaultGrace}},
		{name: "zero grace", give: Config{Args: []string{"app"}}},
		{name: "no command", give: Config{Grace: time.Second}, wantErr: true},
		{name: "empty command", give: Config{Args: []string{""}}, wantErr: true},
		{name: "negative grace", give: Config{Args: []string{"app"}, Grace: -time.Second}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.give.Validate(); (err != nil) != tt.wantErr {
				t.Errorf("Validate() = %v, want error: %v", err, tt.wantErr)
			}
		})
	}
}
