package state

import (
	"context"
	"time"
)

// Caller is the authenticated identity of a request, set by the server after SigV4 verification.
type Caller struct {
	Account     string // 12-digit account
	Arn         string // as GetCallerIdentity shows it: user ARN, or arn:aws:sts::ACCT:assumed-role/NAME/SESSION
	UserID      string // AIDA… for users; ROLEID:SESSION for sessions
	AccessKeyID string
	// PrincipalArn is the IAM ARN EKS maps the caller to: the user ARN, or the role ARN with its path.
	PrincipalArn string
	UserName     string // IAM user name (users only)
	RoleName     string // sessions only
	SessionName  string // sessions only
	MFA          bool   // the session was created with a valid MFA token
	Session      bool   // temporary credentials
}

// Config is what the server tells its services about the sandbox's behaviour.
type Config struct {
	// Now is the sandbox clock.
	Now func() time.Time
	// ConsistencyDelay: a newly created IAM principal is refused by CreateAccessEntry with
	// "invalid principal" for this long, and AssociateAccessPolicy within this long of
	// CreateAccessEntry may answer 404 (as real IAM/EKS eventual consistency does).
	ConsistencyDelay time.Duration
	// KubeEndpoint returns the HTTPS URL of the Kubernetes API endpoint for a cluster.
	KubeEndpoint func(cluster string) string
	// CAData returns the base64 PEM of the CA that signs the Kubernetes endpoints.
	CAData func() string
	// EnforceIAM turns on the evaluation of identity-based policies on every request
	// (package authz); off, any authenticated caller may call anything.
	EnforceIAM bool
	// ClusterCreateDelay is how long a new EKS cluster stays CREATING (and a deleted one
	// DELETING, an update InProgress) before it turns ACTIVE (goes, succeeds).
	ClusterCreateDelay time.Duration
}

// WithDefaults returns c with what it leaves unset filled in: the system clock, no
// Kubernetes endpoints and no CA.
func (c Config) WithDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.KubeEndpoint == nil {
		c.KubeEndpoint = func(string) string { return "" }
	}
	if c.CAData == nil {
		c.CAData = func() string { return "" }
	}
	return c
}

// Service is what each of the sandbox's service handlers (eks, iam, sts, sagemaker, kube)
// embeds: the store it serves from and its configuration, defaults filled in.
type Service struct {
	Store  *Store
	Config Config
}

// NewService returns the Service of a handler on st configured by cfg.
func NewService(st *Store, cfg Config) Service {
	return Service{Store: st, Config: cfg.WithDefaults()}
}

// Now is the configured clock's time in UTC, as the AWS APIs answer it.
func (s Service) Now() time.Time { return s.Config.Now().UTC() }

type ctxKey int

const (
	callerKey ctxKey = iota
	opKey
)

// WithCaller returns ctx carrying the caller.
func WithCaller(ctx context.Context, c *Caller) context.Context {
	return context.WithValue(ctx, callerKey, c)
}

// CallerFrom returns the caller of the request, or nil.
func CallerFrom(ctx context.Context) *Caller {
	c, _ := ctx.Value(callerKey).(*Caller)
	return c
}

// OpInfo is filled by a service handler so the server's request log can name the operation.
type OpInfo struct {
	Service   string
	Operation string
	Mutating  bool
}

// WithOpInfo returns ctx carrying op.
func WithOpInfo(ctx context.Context, op *OpInfo) context.Context {
	return context.WithValue(ctx, opKey, op)
}

// SetOperation records the operation name (and whether it changes state) for the request log.
func SetOperation(ctx context.Context, name string, mutating bool) {
	if op, ok := ctx.Value(opKey).(*OpInfo); ok {
		op.Operation = name
		op.Mutating = mutating
	}
}

// InAccount runs fn under lock (a Store's Read or Update) on the data of the request's
// caller's account (d; root is the primary account's, holding every other) and returns
// what fn returns.
func InAccount[T any](ctx context.Context, lock func(func(*Data) error) error, fn func(root, d *Data) (T, error)) (T, error) {
	var res T
	err := lock(func(root *Data) error {
		var err error
		res, err = fn(root, AccountData(ctx, root))
		return err
	})
	return res, err
}

// AccountData returns the data of the request's caller's account within root (the sandbox's
// primary account data), or root itself when the request has no caller or the caller's
// account is unknown to the sandbox.
func AccountData(ctx context.Context, root *Data) *Data {
	if c := CallerFrom(ctx); c != nil {
		if d := root.ForAccount(c.Account); d != nil {
			return d
		}
	}
	return root
}
