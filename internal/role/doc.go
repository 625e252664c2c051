// Package role converges the shared-role setup of the EKS workshop recipe: a customer managed
// IAM policy (eks:* by default), a role whose trust policy lets the account (or named
// principals) assume it, optionally only with MFA, and the attachment between them.
//
// Converge reads first and changes only what differs, so a second run makes no mutating
// call. Policy documents are compared as parsed JSON, since IAM returns them URL-encoded and
// re-serialised.
package role
