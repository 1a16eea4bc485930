package forward

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"go.yaml.in/yaml/v3"

	"github.com/vigilsec/vigil/events"
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

// toJSON converts a file as an editor's YAML language server does.
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
	for _, tt := range loadExamples {
		if tt.schemaSkip || tt.name == "not YAML" {
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
	data, err := os.ReadFile(filepath.Join("testdata", "forwarders.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := compileSchema(t).Validate(toJSON(t, data)); err != nil {
		t.Error(err)
	}
}

// TestSchemaEnums checks the schema's enums against the Go tables.
func TestSchemaEnums(t *testing.T) {
	var s struct {
		Defs struct {
			Forwarder struct {
				Properties struct {
					Type struct{ Enum []Type }
				}
			}
			Filter struct {
				Properties struct {
					Kinds       struct{ Items struct{ Enum []events.Kind } }
					MinSeverity struct{ Enum []events.Severity }
					Actions     struct {
						Items struct{ Enum []events.Action }
					}
				}
			}
		} `json:"$defs"`
	}
	if err := json.Unmarshal(Schema, &s); err != nil {
		t.Fatal(err)
	}
	p := s.Defs.Filter.Properties
	if !slices.Equal(s.Defs.Forwarder.Properties.Type.Enum, Types) || !slices.Equal(p.Kinds.Items.Enum, events.Kinds) ||
		!slices.Equal(p.MinSeverity.Enum, events.Severities) || !slices.Equal(p.Actions.Items.Enum, events.Actions) {
		t.Errorf("schema enums %+v differ from the Go tables", s.Defs)
	}
}
