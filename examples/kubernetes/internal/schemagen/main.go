// Command schemagen writes the JSON schemas that the manifests' test
// validates against, from the Kubernetes OpenAPI spec, offline:
//
//	go generate ./examples/kubernetes/
//
// The spec is api/openapi-spec/swagger.json of the module k8s.io/kubernetes
// at -k8s, which it gets with `go mod download` (the Go module proxy; 18 MB
// once, then the module cache), or the file given with -spec.
//
// It writes one file per kind, named as kubeconform looks it up
// ({kind}-{group}-{version}.json), with every $ref inlined and, as
// kubeconform's strict schemas, additionalProperties: false on every
// object that lists its properties, so that an unknown field is an error.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// kinds are the definitions the manifests use, and the file each goes to.
var kinds = map[string]string{
	"io.k8s.api.apps.v1.Deployment":            "deployment-apps-v1.json",
	"io.k8s.api.apps.v1.StatefulSet":           "statefulset-apps-v1.json",
	"io.k8s.api.core.v1.Service":               "service-v1.json",
	"io.k8s.api.core.v1.ConfigMap":             "configmap-v1.json",
	"io.k8s.api.core.v1.Secret":                "secret-v1.json",
	"io.k8s.api.core.v1.Namespace":             "namespace-v1.json",
	"io.k8s.api.policy.v1.PodDisruptionBudget": "poddisruptionbudget-policy-v1.json",
}

// special are definitions whose OpenAPI form is narrower than what the
// API server takes.
var special = map[string]any{
	"io.k8s.apimachinery.pkg.util.intstr.IntOrString": map[string]any{
		"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}},
	"io.k8s.apimachinery.pkg.api.resource.Quantity": map[string]any{
		"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}},
}

func main() {
	version := flag.String("k8s", "v1.34.2", "the version of k8s.io/kubernetes whose spec to use")
	spec := flag.String("spec", "", "a Kubernetes swagger.json to use instead of -k8s's")
	out := flag.String("out", "schemas", "directory to write the schemas to")
	flag.Parse()
	if *spec == "" {
		dir, err := download(*version)
		if err != nil {
			fmt.Fprintln(os.Stderr, "schemagen:", err)
			os.Exit(1)
		}
		*spec = filepath.Join(dir, "api", "openapi-spec", "swagger.json")
	}
	if err := run(*spec, *out); err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

// download returns the directory of module k8s.io/kubernetes@version.
func download(version string) (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", "k8s.io/kubernetes@"+version)
	cmd.Stderr = os.Stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download k8s.io/kubernetes@%s: %w", version, err)
	}
	var m struct{ Dir string }
	if err := json.Unmarshal(b, &m); err != nil || m.Dir == "" {
		return "", fmt.Errorf("go mod download k8s.io/kubernetes@%s: no directory in %q", version, b)
	}
	return m.Dir, nil
}

func run(spec, out string) error {
	b, err := os.ReadFile(spec)
	if err != nil {
		return fmt.Errorf("reading spec: %w", err)
	}
	var doc struct {
		Definitions map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("parsing spec %s: %w", spec, err)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var errs []error
	for name, file := range kinds {
		errs = append(errs, write(doc.Definitions, name, filepath.Join(out, file)))
	}
	return errors.Join(errs...)
}

func write(defs map[string]any, name, path string) error {
	s, err := resolve(defs, name, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// resolve returns definition name with its references inlined.
func resolve(defs map[string]any, name string, stack []string) (any, error) {
	if s, ok := special[name]; ok {
		return s, nil
	}
	for _, n := range stack {
		if n == name {
			return nil, fmt.Errorf("recursive definition %s", strings.Join(append(stack, name), " -> "))
		}
	}
	d, ok := defs[name]
	if !ok {
		return nil, fmt.Errorf("no definition %s", name)
	}
	return convert(defs, d, append(stack, name))
}

func convert(defs map[string]any, v any, stack []string) (any, error) {
	switch v := v.(type) {
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			c, err := convert(defs, e, stack)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			return resolve(defs, strings.TrimPrefix(ref, "#/definitions/"), stack)
		}
		return convertObject(defs, v, stack)
	}
	return v, nil
}

func convertObject(defs map[string]any, v map[string]any, stack []string) (any, error) {
	out := map[string]any{}
	for k, e := range v {
		if k == "description" || strings.HasPrefix(k, "x-kubernetes-") {
			continue
		}
		if k == "properties" { // names, not schema keywords: convert each value
			props := map[string]any{}
			for p, ps := range e.(map[string]any) {
				c, err := convert(defs, ps, stack)
				if err != nil {
					return nil, err
				}
				props[p] = c
			}
			out[k] = props
			continue
		}
		c, err := convert(defs, e, stack)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	if _, ok := v["properties"]; ok {
		if _, ok := v["additionalProperties"]; !ok {
			out["additionalProperties"] = false
		}
	}
	if gvks, ok := v["x-kubernetes-group-version-kind"].([]any); ok && len(stack) == 1 {
		pinKind(out, gvks[0].(map[string]any))
	}
	return out, nil
}

// pinKind restricts a top-level kind's apiVersion and kind to its own.
func pinKind(s map[string]any, gvk map[string]any) {
	props := s["properties"].(map[string]any)
	apiVersion := gvk["version"].(string)
	if g := gvk["group"].(string); g != "" {
		apiVersion = g + "/" + apiVersion
	}
	props["apiVersion"] = map[string]any{"type": "string", "enum": []any{apiVersion}}
	props["kind"] = map[string]any{"type": "string", "enum": []any{gvk["kind"]}}
	s["required"] = appendMissing(s["required"], "apiVersion", "kind")
}

func appendMissing(req any, names ...string) []any {
	list, _ := req.([]any)
	for _, n := range names {
		found := false
		for _, r := range list {
			found = found || r == n
		}
		if !found {
			list = append(list, n)
		}
	}
	return list
}
