package forward

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/vigilsec/vigil/events"
	"github.com/vigilsec/vigil/events/natsbus"
)

// body is what one request carries: its JSON and the headers of its own.
type body struct {
	data    []byte
	headers map[string]string
}

// encoder makes a target's body from an event and its JSON on the bus.
type encoder func(e events.Event, raw []byte) (body, error)

func encoderOf(t Type) encoder {
	switch t {
	case TypeSlack:
		return slackBody
	case TypeFalco:
		return falcoBody
	}
	return webhookBody
}

// webhookBody is the event as on the bus, with the CloudEvents attributes
// as headers (the CloudEvents HTTP binding, binary mode), as the bus has
// them: ce-id, the event id, is the receiver's dedupe key. The workload is
// percent-encoded: an event's text may hold what a header cannot (a
// control character), and ce-source is a URI reference anyway.
func webhookBody(e events.Event, raw []byte) (body, error) {
	return body{data: raw, headers: map[string]string{
		"ce-specversion": natsbus.CESpecVersion,
		"ce-id":          e.ID,
		"ce-type":        natsbus.CETypePrefix + string(e.Kind),
		"ce-source":      natsbus.CESourcePrefix + url.PathEscape(natsbus.Token(e.Workload)),
		"ce-time":        e.Time.UTC().Format(time.RFC3339Nano),
	}}, nil
}

// slackMessage is the body of a Slack incoming webhook (also taken by
// Mattermost, Rocket.Chat and others).
type slackMessage struct {
	Text string `json:"text"`
}

// severityMarks start a Slack line, so that a channel reads at a glance.
var severityMarks = map[events.Severity]string{
	events.SeverityInfo:     ":information_source:",
	events.SeverityLow:      ":large_blue_circle:",
	events.SeverityMedium:   ":large_yellow_circle:",
	events.SeverityHigh:     ":red_circle:",
	events.SeverityCritical: ":rotating_light:",
}

func slackBody(e events.Event, _ []byte) (body, error) {
	text := fmt.Sprintf("%s *%s* `%s` on *%s*: %s", severityMarks[e.Severity], strings.ToUpper(string(e.Severity)),
		slackEscape(e.Rule), slackEscape(e.Workload), slackEscape(what(e, detailsOf(e))))
	if w := who(e.Process); w != "" {
		text += " by " + slackEscape(w)
	}
	text += " (event " + e.ID + ")"
	b, err := marshal(slackMessage{Text: text})
	return body{data: b}, err
}

// slackEscape escapes the three characters Slack's mrkdwn gives a
// meaning to.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// marshal is json.Marshal without HTML escaping.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding the request: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
