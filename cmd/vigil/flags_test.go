package main

import (
	"strings"
	"testing"
	"time"
)

func TestParseEnvAndFlags(t *testing.T) {
	tests := []struct {
		name      string
		giveArgs  []string
		giveEnv   map[string]string
		wantGrace time.Duration
		wantGroup bool
		wantArgs  []string
		wantErr   string
	}{
		{name: "defaults", giveArgs: []string{"--", "app"}, wantGrace: 10 * time.Second, wantArgs: []string{"app"}},
		{name: "env", giveArgs: []string{"app"}, giveEnv: map[string]string{"VIGIL_GRACE": "3s", "VIGIL_GROUP": "true"},
			wantGrace: 3 * time.Second, wantGroup: true, wantArgs: []string{"app"}},
		{name: "flag wins over env", giveArgs: []string{"--grace=1s", "--", "app"}, giveEnv: map[string]string{"VIGIL_GRACE": "3s"},
			wantGrace: time.Second, wantArgs: []string{"app"}},
		{name: "app flags are the app's", giveArgs: []string{"app", "--grace=1s"}, wantGrace: 10 * time.Second,
			wantArgs: []string{"app", "--grace=1s"}},
		{name: "every bad variable", giveArgs: []string{"app"}, giveEnv: map[string]string{"VIGIL_GRACE": "x", "VIGIL_GROUP": "maybe"},
			wantErr: "VIGIL_GRACE=\"x\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.giveEnv {
				t.Setenv(k, v)
			}
			fs := newFlagSet("run")
			cfg, _ := runFlags(fs)
			err := parse(fs, tt.giveArgs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "VIGIL_GROUP") {
					t.Fatalf("error %v, want one naming %s and VIGIL_GROUP", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Grace != tt.wantGrace || cfg.Group != tt.wantGroup || strings.Join(fs.Args(), " ") != strings.Join(tt.wantArgs, " ") {
				t.Errorf("grace %s group %v args %q, want %s %v %q", cfg.Grace, cfg.Group, fs.Args(), tt.wantGrace, tt.wantGroup, tt.wantArgs)
			}
		})
	}
}

// FuzzParseFlags: no command line or variable makes parsing panic, and what
// parses validates or is refused with an error, never half-accepted.
func FuzzParseFlags(f *testing.F) {
	f.Add("--grace=1s\x00--group\x00--\x00app", "5s", "debug")
	f.Add("--log-level\x00warn\x00app", "-1s", "loud")
	f.Add("--grace", "", "")
	f.Fuzz(func(t *testing.T, args, grace, level string) {
		if strings.ContainsRune(grace+level, 0) {
			t.Skip("an environment variable cannot hold NUL")
		}
		t.Setenv("VIGIL_GRACE", grace)
		t.Setenv("VIGIL_LOG_LEVEL", level)
		fs := newFlagSet("run")
		cfg, _ := runFlags(fs)
		if err := parse(fs, strings.Split(args, "\x00")); err != nil {
			return
		}
		cfg.Args = fs.Args()
		if err := cfg.Validate(); err == nil && (cfg.Grace < 0 || len(cfg.Args) == 0) {
			t.Fatalf("accepted an invalid config: %+v", cfg)
		}
	})
}
