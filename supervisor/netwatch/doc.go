// Package netwatch judges the app's network calls that the seccomp filter
// reports (connect today; bind and sendto with network policy).
//
// # The Kubernetes API
//
// A workload that talks to the API server of its cluster either needs to
// (and says so) or has been taken over: a stolen service-account token is
// the usual next step. [KubernetesAPI] finds the API server's address as
// Kubernetes gives it to every pod (KUBERNETES_SERVICE_HOST and _PORT);
// a connect to it is reported with the rule [RuleKubernetesAPI].
package netwatch
