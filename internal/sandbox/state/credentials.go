package state

import (
	"strings"
	"time"
)

// Credential is what the sandbox knows about an access key id.
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // set for temporary credentials; requests must present it
	Expiration      time.Time // zero for long-term keys
	Caller          Caller
}

// LookupCredential finds an active access key (long-term or session) and the identity it
// stands for. now decides whether a session has expired (expired → ok=false, expired=true).
// Keys of every account of the sandbox are found; the caller is in the key's account.
func (d *Data) LookupCredential(akid string, now time.Time) (cred Credential, ok, expired bool) {
	for _, a := range d.AllAccounts() {
		if cred, ok, expired = a.lookupCredential(akid, now); ok || expired {
			return cred, ok, expired
		}
	}
	return Credential{}, false, false
}

func (d *Data) lookupCredential(akid string, now time.Time) (cred Credential, ok, expired bool) {
	if k, found := d.AccessKeys[akid]; found {
		if k.Status != "" && k.Status != "Active" {
			return Credential{}, false, false
		}
		u, found := d.Users[strings.ToLower(k.UserName)]
		if !found {
			return Credential{}, false, false
		}
		return Credential{
			AccessKeyID:     k.AccessKeyID,
			SecretAccessKey: k.SecretAccessKey,
			Caller: Caller{
				Account:      d.Account,
				Arn:          u.Arn,
				UserID:       u.UserID,
				AccessKeyID:  k.AccessKeyID,
				PrincipalArn: u.Arn,
				UserName:     u.UserName,
			},
		}, true, false
	}
	if s, found := d.Sessions[akid]; found {
		if !now.Before(s.Expiration) {
			return Credential{}, false, true
		}
		return Credential{
			AccessKeyID:     s.AccessKeyID,
			SecretAccessKey: s.SecretAccessKey,
			SessionToken:    s.SessionToken,
			Expiration:      s.Expiration,
			Caller: Caller{
				Account:      d.Account,
				Arn:          "arn:" + d.Partition + ":sts::" + d.Account + ":assumed-role/" + s.RoleName + "/" + s.SessionName,
				UserID:       s.RoleID + ":" + s.SessionName,
				AccessKeyID:  s.AccessKeyID,
				PrincipalArn: s.RoleArn,
				RoleName:     s.RoleName,
				SessionName:  s.SessionName,
				MFA:          s.MFA,
				Session:      true,
			},
		}, true, false
	}
	return Credential{}, false, false
}
