package examples_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// verdict is one row of attack.sh's table: what happened to an attack on
// examples/vulnerable-web under one policy, and the events vigil published
// for it (rule:action).
type verdict struct {
	succeeded bool
	events    []string
}

// wantVerdicts is what make demo and make demo-docker must show: under
// policy-alert.yaml every attack is reported and only the cloud metadata
// endpoint is refused (the default rule pack always refuses it); under
// policy-deny.yaml every attack made through the app is blocked, and the
// one made from outside (docker exec) is reported. Each row names the
// events the attack must raise; it may raise others.
var wantVerdicts = map[string]verdict{
	"alert/shadow":         {true, []string{"proc.shell-from-app:alert", "files.sensitive:alert"}},
	"alert/tmp-binary":     {true, []string{"exec.drift:alert", "proc.exec-from-tmp:alert"}},
	"alert/reverse-shell":  {true, []string{"proc.netcat-exec:alert", "proc.reverse-shell:alert", "network.egress.default:alert"}},
	"alert/fileless":       {true, []string{"exec.fileless:alert"}},
	"alert/tamper":         {true, []string{"files.baseline:alert", "exec.drift:alert"}},
	"alert/cloud-metadata": {false, []string{"net.cloud-metadata:deny"}},
	"alert/exec-intruder":  {true, []string{"proc.outsider:alert"}},
	"deny/shadow":          {false, []string{"proc.shell-from-app:alert"}},
	"deny/tmp-binary":      {false, []string{"exec.drift:deny"}},
	"deny/reverse-shell":   {false, []string{"network.egress.default:deny"}},
	"deny/fileless":        {false, []string{"exec.fileless:deny"}},
	"deny/tamper":          {false, []string{"files.protect:deny"}},
	"deny/cloud-metadata":  {false, []string{"net.cloud-metadata:deny"}},
	"deny/exec-intruder":   {true, []string{"proc.outsider:alert"}},
}

// parseVerdicts reads the rows of the table that ends the demo's output:
// "| mode | attack | succeeded|failed | yes|no | rule:action ... |".
func parseVerdicts(out string) (map[string]verdict, error) {
	got := map[string]verdict{}
	for line := range strings.Lines(out) {
		cells := strings.Split(strings.TrimSpace(line), "|")
		if len(cells) != 7 || cells[0] != "" || cells[6] != "" {
			continue
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		mode, attack, outcome, blocked := cells[1], cells[2], cells[3], cells[4]
		if mode == "mode" || strings.HasPrefix(mode, "-") {
			continue
		}
		if (outcome == "succeeded") != (blocked == "no") || (outcome != "succeeded" && outcome != "failed") {
			return nil, fmt.Errorf("row %q: outcome %q and blocked %q disagree", line, outcome, blocked)
		}
		got[mode+"/"+attack] = verdict{succeeded: outcome == "succeeded", events: strings.Fields(cells[5])}
	}
	return got, nil
}

// checkVerdicts fails t for every attack whose outcome or events differ
// from wantVerdicts.
func checkVerdicts(t *testing.T, out string) {
	t.Helper()
	got, err := parseVerdicts(out)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range wantVerdicts {
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("%s: no row in the table", name)
		case g.succeeded != want.succeeded:
			t.Errorf("%s: the attack succeeded=%v, want %v (events %v)", name, g.succeeded, want.succeeded, g.events)
		default:
			for _, e := range want.events {
				if !slices.Contains(g.events, e) {
					t.Errorf("%s: no %s event; got %v", name, e, g.events)
				}
			}
		}
	}
	if len(got) != len(wantVerdicts) {
		t.Errorf("the table has %d rows, want %d", len(got), len(wantVerdicts))
	}
}

func TestParseVerdicts(t *testing.T) {
	tests := []struct {
		name    string
		give    string
		want    map[string]verdict
		wantErr bool
	}{
		{
			name: "rows",
			give: "| mode  | attack | the attack | blocked | events |\n|---|---|---|---|---|\n" +
				"| alert | shadow | succeeded  | no      | a:alert b:alert |\n| deny | shadow | failed | yes | none |\nnoise\n",
			want: map[string]verdict{
				"alert/shadow": {true, []string{"a:alert", "b:alert"}},
				"deny/shadow":  {false, []string{"none"}},
			},
		},
		{name: "disagreeing", give: "| deny | shadow | failed | no | x:deny |\n", wantErr: true},
		{name: "unknown outcome", give: "| deny | shadow | maybe | yes | x:deny |\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseVerdicts(tt.give)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
