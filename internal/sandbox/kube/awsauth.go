package kube

import (
	"strings"

	"sigs.k8s.io/yaml"

	iamarn "eksaccess/internal/principal"
)

// awsAuthMapping is one mapRoles or mapUsers item of the aws-auth ConfigMap.
type awsAuthMapping struct {
	RoleArn  string   `json:"rolearn"`
	UserArn  string   `json:"userarn"`
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// awsAuthLookup maps a principal through the aws-auth data (mapRoles for sessions, mapUsers
// for users). aws-iam-authenticator compares an assumed role by its path-less ARN
// (arn:aws:iam::ACCT:role/NAME); an item written with the path is accepted too.
func awsAuthLookup(data map[string]string, principal string, session bool) (awsAuthMapping, bool) {
	key := "mapUsers"
	if session {
		key = "mapRoles"
	}
	raw := data[key]
	if strings.TrimSpace(raw) == "" {
		return awsAuthMapping{}, false
	}
	var items []awsAuthMapping
	if err := yaml.Unmarshal([]byte(raw), &items); err != nil {
		return awsAuthMapping{}, false // a broken aws-auth maps nobody, as in EKS
	}
	canonical := principal
	if session {
		canonical = iamarn.PathlessRoleARN(principal)
	}
	for _, m := range items {
		arn := m.UserArn
		if session {
			arn = m.RoleArn
		}
		if arn == "" {
			continue
		}
		if strings.EqualFold(arn, principal) || strings.EqualFold(arn, canonical) {
			return m, true
		}
	}
	return awsAuthMapping{}, false
}
