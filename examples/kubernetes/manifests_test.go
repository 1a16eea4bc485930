package kubernetes_test

//go:generate go run ./internal/schemagen -out schemas

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/yannh/kubeconform/pkg/validator"
	"go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

var overlays = []string{"overlays/dev", "overlays/production"}

// object is one rendered manifest, as YAML gives it.
type object = map[string]any

// render builds a kustomization as `kustomize build dir` would.
func render(t *testing.T, dir string) []object {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize build %s: %v", dir, err)
	}
	var objs []object
	for _, r := range m.Resources() {
		o, err := r.Map()
		if err != nil {
			t.Fatalf("kustomize build %s: %s: %v", dir, r.CurId(), err)
		}
		objs = append(objs, o)
	}
	return objs
}

// newValidator is kubeconform in strict mode on the schemas in schemas/,
// generated offline from the Kubernetes OpenAPI spec (go generate).
func newValidator(t *testing.T) validator.Validator {
	t.Helper()
	dir, err := filepath.Abs("schemas")
	if err != nil {
		t.Fatal(err)
	}
	v, err := validator.New([]string{dir + "/{{ .ResourceKind }}{{ .KindSuffix }}.json"},
		validator.Opts{Strict: true})
	if err != nil {
		t.Fatalf("kubeconform: %v", err)
	}
	return v
}

// validate returns kubeconform's complaints about objs, one per line.
func validate(t *testing.T, v validator.Validator, objs ...object) []string {
	t.Helper()
	var buf bytes.Buffer
	for _, o := range objs {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	var problems []string
	for _, r := range v.Validate("rendered.yaml", io.NopCloser(&buf)) {
		switch {
		case r.Status == validator.Valid:
		case r.Status == validator.Invalid:
			for _, e := range r.ValidationErrors {
				problems = append(problems, name(r.Resource.Bytes)+": "+e.Path+": "+e.Msg)
			}
		default: // Error, Skipped (a kind without a schema), Empty
			problems = append(problems, name(r.Resource.Bytes)+": status "+status(r.Status)+": "+errString(r.Err))
		}
	}
	return problems
}

func status(s validator.Status) string {
	return map[validator.Status]string{validator.Error: "error", validator.Skipped: "skipped", validator.Empty: "empty"}[s]
}

func errString(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

func name(doc []byte) string {
	var o struct {
		Kind     string
		Metadata struct{ Name string }
	}
	_ = yaml.Unmarshal(doc, &o)
	return o.Kind + "/" + o.Metadata.Name
}

func TestOverlaysValid(t *testing.T) {
	v := newValidator(t)
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			objs := render(t, dir)
			if len(objs) == 0 {
				t.Fatal("no objects rendered")
			}
			for _, p := range validate(t, v, objs...) {
				t.Error(p)
			}
		})
	}
}

// TestValidatorRejects shows that the validation fails on broken
// manifests, each a mutation of the rendered guard Deployment.
func TestValidatorRejects(t *testing.T) {
	v := newValidator(t)
	tests := []struct {
		name     string
		giveEdit func(o object)
		wantErr  string // in one of the problems; "" for none at all
	}{
		{name: "unchanged", giveEdit: func(object) {}},
		{
			name:     "unknown field",
			giveEdit: func(o object) { container(o)["imagee"] = "x" },
			wantErr:  "additional properties 'imagee' not allowed",
		},
		{
			name:     "replicas as a string",
			giveEdit: func(o object) { at(o, "spec")["replicas"] = "3" },
			wantErr:  "/spec/replicas",
		},
		{
			name:     "no selector",
			giveEdit: func(o object) { delete(at(o, "spec"), "selector") },
			wantErr:  "missing property 'selector'",
		},
		{
			name:     "wrong kind for the apiVersion",
			giveEdit: func(o object) { o["apiVersion"] = "apps/v1beta1" },
			wantErr:  "could not find schema",
		},
		{
			name:     "port as a string",
			giveEdit: func(o object) { container(o)["ports"].([]any)[0].(object)["containerPort"] = "8080" },
			wantErr:  "containerPort",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := find(t, render(t, "overlays/production"), "Deployment", "web")
			tt.giveEdit(o)
			problems := validate(t, v, o)
			if tt.wantErr == "" {
				if len(problems) > 0 {
					t.Fatalf("want no problem, got %q", problems)
				}
				return
			}
			if !strings.Contains(strings.Join(problems, "\n"), tt.wantErr) {
				t.Fatalf("want a problem with %q, got %q", tt.wantErr, problems)
			}
		})
	}
}

func TestGuard(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			objs := render(t, dir)
			d := find(t, objs, "Deployment", "web")
			pod := at(d, "spec", "template", "spec")
			if pod["shareProcessNamespace"] != false {
				t.Error("shareProcessNamespace: want false: vigil must be PID 1")
			}
			c := container(d)
			if _, ok := c["command"]; ok {
				t.Error("the guarded container has command: it would replace vigil, the ENTRYPOINT; use args")
			}
			if sc := at(c, "securityContext"); sc["readOnlyRootFilesystem"] != true {
				t.Error("readOnlyRootFilesystem: want true")
			} else if caps, ok := sc["capabilities"].(object); ok && caps["drop"] != nil {
				t.Errorf("capabilities.drop %v: vigil needs the default capabilities to drop the app's", caps["drop"])
			}
			env := envOf(c)
			if env["VIGIL_NATS_REPLICAS"] != "3" {
				t.Errorf("VIGIL_NATS_REPLICAS = %q, want 3", env["VIGIL_NATS_REPLICAS"])
			}
			if !strings.HasPrefix(env["VIGIL_NATS_NKEY"], "/var/run/vigil/") {
				t.Errorf("VIGIL_NATS_NKEY = %q, want it in the Secret's mount /var/run/vigil", env["VIGIL_NATS_NKEY"])
			}
			checkGrace(t, pod, env["VIGIL_GRACE"])
			checkMounts(t, pod, c)
		})
	}
}

func checkGrace(t *testing.T, pod object, grace string) {
	t.Helper()
	g, err := parseSeconds(grace)
	if err != nil {
		t.Fatalf("VIGIL_GRACE %q: %v", grace, err)
	}
	if k, ok := pod["terminationGracePeriodSeconds"].(int); !ok || g >= k {
		t.Errorf("VIGIL_GRACE %s, terminationGracePeriodSeconds %v: want vigil's the shorter", grace, pod["terminationGracePeriodSeconds"])
	}
}

func parseSeconds(s string) (int, error) {
	var n int
	_, err := fmt.Sscanf(s, "%ds", &n)
	return n, err
}

func checkMounts(t *testing.T, pod, c object) {
	t.Helper()
	volumes := map[string]object{}
	for _, v := range pod["volumes"].([]any) {
		volumes[v.(object)["name"].(string)] = v.(object)
	}
	mounts := map[string]object{}
	for _, m := range c["volumeMounts"].([]any) {
		mounts[m.(object)["mountPath"].(string)] = m.(object)
	}
	outbox := mounts["/var/lib/vigil/outbox"]
	if outbox == nil || volumes[outbox["name"].(string)]["emptyDir"] == nil {
		t.Error("want an emptyDir mounted at /var/lib/vigil/outbox")
	}
	creds := mounts["/var/run/vigil"]
	if creds == nil || creds["readOnly"] != true || volumes[creds["name"].(string)]["secret"] == nil {
		t.Error("want a Secret mounted read-only at /var/run/vigil")
	}
}

func TestNoAddedCapabilities(t *testing.T) {
	for _, dir := range overlays {
		for _, o := range render(t, dir) {
			spec := podSpec(o)
			if spec == nil {
				continue
			}
			for _, c := range spec["containers"].([]any) {
				sc, _ := c.(object)["securityContext"].(object)
				caps, _ := sc["capabilities"].(object)
				if caps["add"] != nil {
					t.Errorf("%s: %s container %s adds capabilities %v", dir, o["kind"], c.(object)["name"], caps["add"])
				}
			}
		}
	}
}

func TestNATS(t *testing.T) {
	for _, dir := range overlays {
		t.Run(dir, func(t *testing.T) {
			objs := render(t, dir)
			s := find(t, objs, "StatefulSet", "nats")
			if r := at(s, "spec")["replicas"]; r != 3 {
				t.Errorf("nats replicas = %v, want 3", r)
			}
			if at(s, "spec")["serviceName"] != "nats-headless" {
				t.Error("serviceName: want the headless Service the routes use")
			}
			if h := find(t, objs, "Service", "nats-headless"); at(h, "spec")["clusterIP"] != "None" {
				t.Error("nats-headless: want clusterIP None")
			}
			conf := natsConfig(t, objs)
			for _, want := range []string{"jetstream {", "cluster {", "nats-route://nats-2.nats-headless:6222"} {
				if !strings.Contains(conf, want) {
					t.Errorf("nats-server.conf: no %q", want)
				}
			}
			checkNATSConfig(t, conf)
		})
	}
}

// checkNATSConfig parses and validates the configuration as nats-server
// does at start. The server is not started: the routes' names resolve
// only in the cluster.
func checkNATSConfig(t *testing.T, conf string) {
	t.Helper()
	t.Setenv("POD_NAME", "nats-0")
	path := filepath.Join(t.TempDir(), "nats-server.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server.conf: %v", err)
	}
	if !opts.JetStream || opts.StoreDir != "/data/jetstream" {
		t.Errorf("JetStream %v, store %q: want enabled on the volume /data", opts.JetStream, opts.StoreDir)
	}
	if opts.ServerName != "nats-0" || opts.Cluster.Name != "vigil" || len(opts.Routes) != 3 {
		t.Errorf("server %q, cluster %q, %d routes: want nats-0, vigil, 3", opts.ServerName, opts.Cluster.Name, len(opts.Routes))
	}
	if opts.JetStreamMaxStore <= 10<<30 {
		t.Errorf("max_file_store %d: want more than the stream's 10GiB", opts.JetStreamMaxStore)
	}
	checkGuardUser(t, opts)
	// NewServer checks the options as a start would (JetStream in a
	// cluster needs server and cluster names, users their accounts), and
	// starts nothing.
	opts.StoreDir = t.TempDir()
	if _, err := server.NewServer(opts); err != nil {
		t.Errorf("nats-server.conf: %v", err)
	}
}

func checkGuardUser(t *testing.T, opts *server.Options) {
	t.Helper()
	for _, u := range opts.Nkeys {
		p := u.Permissions
		if p == nil || p.Publish == nil || !contains(p.Publish.Allow, "vigil.events.web.>") {
			continue
		}
		if u.Account == nil || u.Account.Name != "VIGIL" {
			t.Errorf("guard user in account %v, want VIGIL", u.Account)
		}
		if p.Subscribe == nil || !contains(p.Subscribe.Allow, "_INBOX_web.>") {
			t.Error("guard user: want subscribe on its inbox _INBOX_web.>")
		}
		return
	}
	t.Error("nats-server.conf: no user may publish vigil.events.web.>")
}

func natsConfig(t *testing.T, objs []object) string {
	t.Helper()
	for _, o := range objs {
		if o["kind"] == "ConfigMap" && strings.HasPrefix(at(o, "metadata")["name"].(string), "nats-config") {
			return at(o, "data")["nats-server.conf"].(string)
		}
	}
	t.Fatal("no ConfigMap nats-config")
	return ""
}

func find(t *testing.T, objs []object, kind, name string) object {
	t.Helper()
	for _, o := range objs {
		if o["kind"] == kind && at(o, "metadata")["name"] == name {
			return o
		}
	}
	t.Fatalf("no %s %s", kind, name)
	return nil
}

// at returns the object at path in o, nil when there is none.
func at(o object, path ...string) object {
	for _, p := range path {
		o, _ = o[p].(object)
	}
	return o
}

func podSpec(o object) object {
	switch o["kind"] {
	case "Deployment", "StatefulSet":
		return at(o, "spec", "template", "spec")
	}
	return nil
}

func container(o object) object {
	return podSpec(o)["containers"].([]any)[0].(object)
}

func envOf(c object) map[string]string {
	env := map[string]string{}
	for _, e := range c["env"].([]any) {
		v, _ := e.(object)["value"].(string)
		env[e.(object)["name"].(string)] = v
	}
	return env
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
