package events

import (
	"encoding/json"
	"fmt"
	"slices"
)

// NetworkDetails are the details of a network event: a connection the app
// attempted (or, with network policy, a bind or a send).
type NetworkDetails struct {
	// Direction is "egress" (connect, send) or "ingress" (bind, listen).
	Direction string `json:"direction"`
	// Syscall is the call that asked: connect, bind, sendto, sendmsg or
	// sendmmsg.
	Syscall string `json:"syscall"`
	// Protocol is the socket's: tcp, udp, unix, or other (an IP socket of
	// another kind); "" when it could not be read.
	Protocol string `json:"protocol,omitempty"`
	// Address and Port are the destination (or, for ingress, the local
	// address); Address is an IP address, or "unix:" and a Unix socket's
	// path ("unix:@name" for an abstract one).
	Address string `json:"address"`
	Port    int    `json:"port,omitempty"`
	// Name is the DNS name of the policy the destination matched, or that
	// resolves to it.
	Name string `json:"name,omitempty"`
	// Errno is what the caller got from vigil, 0 when the call went on
	// (the kernel may still fail it).
	Errno int `json:"errno"`
}

// Network returns the details of a network event.
func (e Event) Network() (NetworkDetails, error) {
	var d NetworkDetails
	if e.Kind != KindNetwork {
		return d, fmt.Errorf("reading network details: event kind is %q", e.Kind)
	}
	return d, e.DetailsAs(&d)
}

func validateNetwork(raw json.RawMessage, add addFunc) {
	var d NetworkDetails
	if err := json.Unmarshal(raw, &d); err != nil {
		add("details", "network: %v", err)
		return
	}
	if !slices.Contains([]string{"egress", "ingress"}, d.Direction) {
		add("details.direction", "%q, want egress or ingress", d.Direction)
	}
	if d.Address == "" {
		add("details.address", "empty")
	}
	if d.Protocol != "" && !slices.Contains([]string{"tcp", "udp", "unix", "other"}, d.Protocol) {
		add("details.protocol", "%q, want tcp, udp, unix or other", d.Protocol)
	}
	if d.Port < 0 || d.Port > 65535 {
		add("details.port", "%d, want 0..65535", d.Port)
	}
}
