package usecase

import (
	"fmt"
	"strings"

	"eksaccess/internal/principal"
)

// AsRole is the role to assume first for a token (--role, --session-name): none when Role
// is empty.
type AsRole struct {
	// Role is a name, role/NAME, role/PATH/NAME or the role ARN.
	Role string `json:"role,omitempty"`
	// SessionName defaults to the caller's IAM user name, else "eksaccess".
	SessionName string `json:"sessionName,omitempty"`
}

// Validate checks --role and --session-name before any AWS call.
func (a AsRole) Validate() error {
	if a.SessionName != "" {
		if a.Role == "" {
			return inputErrorf("--session-name names the session of an assumed role: add --role ROLE")
		}
		if err := principal.ValidateSessionName(a.SessionName); err != nil {
			return inputErrorf("--session-name: %w", err)
		}
	}
	if a.Role == "" {
		return nil
	}
	if strings.HasPrefix(a.Role, "arn:") {
		p, err := principal.ParsePrincipalARN(a.Role)
		if err != nil {
			return inputErrorf("--role: %w", err)
		}
		if p.Kind != principal.KindRole {
			return inputErrorf("--role %s is a %s ARN: give a role name, role/NAME or a role ARN (arn:%s:iam::ACCOUNT:role/NAME)", a.Role, p.Kind, p.Partition)
		}
		return nil
	}
	if _, err := principal.ParseRef("role/" + strings.TrimPrefix(a.Role, "role/")); err != nil {
		return &InputError{Err: fmt.Errorf("--role: %w", err)}
	}
	return nil
}
