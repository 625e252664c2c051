package accessfile

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

var schemaPath = filepath.Join("..", "..", "schema", "access-file.schema.json")

// TestSchemaUpToDate fails when schema/access-file.schema.json no longer
// matches the Go types; go test ./internal/accessfile -run Schema -update
// regenerates it.
func TestSchemaUpToDate(t *testing.T) {
	got, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatal("schema is not valid JSON")
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(schemaPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(schemaPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("%v; run go test ./internal/accessfile -run Schema -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale; run go test ./internal/accessfile -run Schema -update and commit the result", schemaPath)
	}
}

func TestSchemaShape(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Defs map[string]struct {
			Required             []string                  `json:"required"`
			AdditionalProperties *bool                     `json:"additionalProperties"`
			OneOf                []map[string][]string     `json:"oneOf"`
			Properties           map[string]map[string]any `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Config", "Cluster", "AccessItem", "PolicyRef", "Team", "TeamMember"} {
		d, ok := s.Defs[name]
		if !ok {
			t.Fatalf("no $defs/%s", name)
		}
		if d.AdditionalProperties == nil || *d.AdditionalProperties {
			t.Errorf("%s allows unknown fields", name)
		}
	}
	if got := s.Defs["Cluster"].Required; len(got) != 1 || got[0] != "region" {
		t.Errorf("Cluster required = %v", got)
	}
	if got := len(s.Defs["AccessItem"].OneOf); got != 4 {
		t.Errorf("AccessItem oneOf has %d branches, want 4", got)
	}
	if got := len(s.Defs["TeamMember"].OneOf); got != 4 {
		t.Errorf("TeamMember oneOf has %d branches, want 4", got)
	}
	if got := s.Defs["Team"].Required; len(got) != 1 || got[0] != "name" {
		t.Errorf("Team required = %v", got)
	}
	if got := s.Defs["Team"].Properties["rbac"]["enum"]; !reflect.DeepEqual(got, []any{"sagemaker-guide", "hyperpod-cli"}) {
		t.Errorf("Team rbac enum = %v", got)
	}
	// Fields the loader knows and the schema must list: keep them in step.
	for def, fields := range map[string][]string{"Config": topFields, "Cluster": clusterFields, "AccessItem": itemFields, "PolicyRef": policyFields, "Team": teamFields, "TeamMember": memberFields} {
		if len(s.Defs[def].Properties) != len(fields) {
			t.Errorf("%s: schema has %d properties, loader knows %d", def, len(s.Defs[def].Properties), len(fields))
		}
		for _, f := range fields {
			if _, ok := s.Defs[def].Properties[f]; !ok {
				t.Errorf("%s: schema lacks %s", def, f)
			}
		}
	}
}
