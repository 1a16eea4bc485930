// Package netwatch judges the app's network calls that the seccomp filter
// reports: connect, and with network policy bind and the sends with an
// address (sendto, sendmsg, sendmmsg).
//
// # The policy
//
// [Compile] makes a [Policy] of the policy's network section and the
// built-in rules; [Policy.Judge] gives the verdict on one [Attempt]
// (deny rules, net.cloud-metadata, allow rules, net.kubernetes-api, the
// default). [Policy.LandlockTCP] is the part the kernel can enforce
// race-free: the TCP ports of a direction whose default is deny.
//
// # DNS names
//
// [Names] keeps the addresses of the policy's DNS names current:
// resolved at start and again when their TTL runs out (see its
// documentation and docs/network.md).
//
// # The Kubernetes API
//
// A workload that talks to the API server of its cluster either needs to
// (and says so) or has been taken over: a stolen service-account token is
// the usual next step. [KubernetesAPI] finds the API server's address as
// Kubernetes gives it to every pod (KUBERNETES_SERVICE_HOST and _PORT);
// a connect to it is reported with the rule [RuleKubernetesAPI].
package netwatch
