package accessfile

import (
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"
)

// JSONSchema returns the JSON Schema of the access file, generated from the
// Go types, for editors (yaml-language-server: $schema=...). The loader's
// checks are stricter than the schema (known policy names, duplicates, users
// files), so a file can pass the schema and still fail to load.
func JSONSchema() ([]byte, error) {
	r := &jsonschema.Reflector{
		RequiredFromJSONSchemaTags: true,
		DoNotReference:             false,
	}
	s := r.Reflect(&Config{})
	s.Title = "eksaccess access file"
	s.Description = "Access to EKS and SageMaker HyperPod clusters, declared for eksaccess plan/apply (apiVersion eksaccess/v1, kind AccessConfig)."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding the JSON Schema: %w; this is a bug, please report it", err)
	}
	return append(b, '\n'), nil
}

// JSONSchemaExtend adds the "exactly one of name and hyperpod" rule.
func (Cluster) JSONSchemaExtend(s *jsonschema.Schema) {
	s.OneOf = []*jsonschema.Schema{
		{Required: []string{"name"}},
		{Required: []string{"hyperpod"}},
	}
}

// JSONSchemaExtend adds the "exactly one of principal, usersFile, iamGroup
// and permissionSet" rule.
func (AccessItem) JSONSchemaExtend(s *jsonschema.Schema) { whoSchema(s) }

// JSONSchemaExtend adds the same rule to team members, which name principals as access
// items do.
func (TeamMember) JSONSchemaExtend(s *jsonschema.Schema) { whoSchema(s) }

// whoSchema is "exactly one of principal, usersFile, iamGroup and permissionSet", with the
// IAM name pattern of groups and permission sets.
func whoSchema(s *jsonschema.Schema) {
	// Set here because the struct-tag syntax splits on the comma in the class.
	for _, k := range []string{"iamGroup", "permissionSet"} {
		if p, ok := s.Properties.Get(k); ok {
			p.Pattern = `^[\w+=,.@-]+$`
		}
	}
	s.OneOf = []*jsonschema.Schema{
		{Required: []string{"principal"}},
		{Required: []string{"usersFile"}},
		{Required: []string{"iamGroup"}},
		{Required: []string{"permissionSet"}},
	}
}

// JSONSchemaExtend offers the built-in policy names to editors as examples;
// it does not restrict them, because EKS adds policies over time.
func (PolicyRef) JSONSchemaExtend(s *jsonschema.Schema) {
	if p, ok := s.Properties.Get("policy"); ok {
		for _, n := range builtinPolicies {
			p.Examples = append(p.Examples, n)
		}
	}
}
