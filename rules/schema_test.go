package rules

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/internal/linux"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// toJSON converts a policy as an editor's YAML language server does.
func toJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

func TestSchemaAgrees(t *testing.T) {
	schema := compileSchema(t)
	for _, tt := range examples {
		if tt.schemaSkip {
			continue
		}
		t.Run(tt.name, func(t *testing.T) {
			err := schema.Validate(toJSON(t, []byte(tt.give)))
			if wantValid := tt.wantErrs == nil; (err == nil) != wantValid {
				t.Errorf("schema valid = %v, Parse valid = %v; schema says: %v", err == nil, wantValid, err)
			}
		})
	}
}

func TestSchemaExample(t *testing.T) {
	data, err := testdataFile("example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(toJSON(t, data)); err != nil {
		t.Error(err)
	}
}

// TestSchemaNames checks the schema's enums against the Go tables.
func TestSchemaNames(t *testing.T) {
	var s struct {
		Defs struct {
			Errno struct {
				OneOf []struct{ Enum []string } `json:"oneOf"`
			} `json:"errno"`
			Capability struct{ Enum []string } `json:"capability"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	if got, want := slices.Sorted(slices.Values(s.Defs.Errno.OneOf[1].Enum)), slices.Sorted(maps.Keys(errnos)); !slices.Equal(got, want) {
		t.Errorf("schema errnos = %v, want %v", got, want)
	}
	var caps []string
	for n := 0; strings.HasPrefix(linux.CapName(n), "CAP_"); n++ {
		caps = append(caps, linux.CapName(n), strings.TrimPrefix(linux.CapName(n), "CAP_"))
	}
	if got, want := slices.Sorted(slices.Values(s.Defs.Capability.Enum)), slices.Sorted(slices.Values(caps)); !slices.Equal(got, want) {
		t.Errorf("schema capabilities = %v, want %v", got, want)
	}
}

// TestSchemaPackRules checks the schema's pack rule names against the
// default pack.
func TestSchemaPackRules(t *testing.T) {
	var s struct {
		Defs struct {
			PackRule struct{ Enum []string } `json:"packRule"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	p, err := DefaultPack()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Defs.PackRule.Enum, p.Names(); !slices.Equal(got, want) {
		t.Errorf("schema pack rules = %v, want %v", got, want)
	}
}
