package natsbus

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// StreamAddCommand is the nats CLI command that creates the stream vigil
// would create with l, on a cluster (auto replicas are ClusterReplicas
// there): for an administrator, when guards may only publish. Every field
// StreamConfig sets has its flag; --defaults takes the server's defaults
// for the rest instead of prompting.
func StreamAddCommand(l StreamLimits) string {
	cfg := StreamConfig(l)
	cfg.Replicas = l.Wanted(true)
	args := []string{
		"nats", "stream", "add", cfg.Name,
		"--subjects", quote(strings.Join(cfg.Subjects, ",")),
		"--description", quote(cfg.Description),
		"--storage", jsonName(cfg.Storage),
		"--retention", retention(cfg.Retention),
		"--discard", jsonName(cfg.Discard),
		"--max-age", cliAge(cfg.MaxAge),
		"--max-bytes", cliSize(cfg.MaxBytes),
		"--max-msg-size", strconv.FormatInt(int64(cfg.MaxMsgSize), 10),
		"--dupe-window", shortDuration(cfg.Duplicates),
		"--replicas", strconv.Itoa(cfg.Replicas),
		"--defaults",
	}
	return strings.Join(args, " ")
}

// retention is the nats CLI's name of p ("limits", not "Limits").
func retention(p jetstream.RetentionPolicy) string {
	switch p {
	case jetstream.InterestPolicy:
		return "interest"
	case jetstream.WorkQueuePolicy:
		return "work"
	}
	return "limits"
}

// jsonName is v as the API names it ("file", "old"): the nats CLI's names.
func jsonName(v json.Marshaler) string {
	b, err := v.MarshalJSON()
	if err != nil {
		return "?"
	}
	return strings.Trim(string(b), `"`)
}

// cliAge is a max age as the nats CLI takes it: -1 for none.
func cliAge(d time.Duration) string {
	switch {
	case d <= 0:
		return "-1"
	case d%(24*time.Hour) == 0:
		return FormatAge(d)
	}
	return shortDuration(d)
}

// shortDuration is d as Go says it without its zero tails: "24h",
// "1h30m".
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// cliSize is a max size as the nats CLI takes it: -1 for none.
func cliSize(n int64) string {
	if n <= 0 {
		return "-1"
	}
	return FormatSize(n)
}

// quote is s in single quotes for a POSIX shell.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
