package awssession

// Reach says how to reach an AWS account: the run's own credentials (the zero value), a
// profile, or a role to assume (with the run's credentials). Account, when set, is the
// account the credentials must land in: a mismatch is an error before any change.
type Reach struct {
	Account     string `json:"account,omitempty"`
	Profile     string `json:"profile,omitempty"`
	RoleArn     string `json:"roleArn,omitempty"`
	ExternalID  string `json:"externalId,omitempty"`
	SessionName string `json:"sessionName,omitempty"`
}

// IsDefault reports whether r is the run's own credentials, in whatever account they are.
func (r Reach) IsDefault() bool { return r == Reach{} }

// Key identifies the credentials (two clusters with the same key share clients and caller).
func (r Reach) Key() string {
	return r.Account + "|" + r.Profile + "|" + r.RoleArn + "|" + r.ExternalID + "|" + r.SessionName
}

// String names the reach in messages.
func (r Reach) String() string {
	s := "your credentials"
	switch {
	case r.RoleArn != "":
		s = "role " + r.RoleArn
	case r.Profile != "":
		s = "profile " + r.Profile
	}
	if r.Account != "" {
		s = "account " + r.Account + " (" + s + ")"
	}
	return s
}
