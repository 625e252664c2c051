package accessfile

import (
	"fmt"

	yaml "github.com/goccy/go-yaml"
)

// Marshal writes cfg as an access file: fields in a fixed order, map keys
// sorted, lists of names in flow style, no comments. What it writes loads
// back with Load into the same configuration (given the same users files).
func Marshal(cfg *Config) ([]byte, error) {
	out := *cfg
	if out.APIVersion == "" {
		out.APIVersion = APIVersion
	}
	if out.Kind == "" {
		out.Kind = Kind
	}
	b, err := yaml.MarshalWithOptions(&out, yaml.Indent(2), yaml.IndentSequence(true))
	if err != nil {
		return nil, fmt.Errorf("encoding the access file: %w; this is a bug, please report it", err)
	}
	return b, nil
}
