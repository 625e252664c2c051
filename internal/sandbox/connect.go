package sandbox

import (
	"context"
	"errors"
	"fmt"
	"time"

	"eksaccess/internal/sandbox/state"
)

// Conn is how a client reaches a sandbox: its endpoint, region and admin credentials.
type Conn struct {
	Endpoint        string
	Region          string
	AccessKeyID     string
	SecretAccessKey string
}

// Connect reaches the sandbox of dir: a `sandbox serve` process on it, or else one started
// inside this process (seeded on first use); close stops what was started (nil when
// nothing was). It waits up to 2 minutes for another embedded run holding dir.
func Connect(ctx context.Context, dir string) (conn *Conn, close func() error, err error) {
	if c, ok, err := Running(dir); ok || err != nil {
		return c, nil, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		srv, err := Start(ctx, Options{StateDir: dir, Embedded: true})
		if err == nil {
			var conn *Conn
			err = srv.Store().Read(func(d *state.Data) error {
				var err error
				conn, err = connFromData(srv.Endpoint(), d)
				return err
			})
			if err != nil {
				srv.Close()
				return nil, nil, err
			}
			return conn, srv.Close, nil
		}
		if !errors.Is(err, state.ErrLocked) {
			return nil, nil, err
		}
		// Another process holds the directory: a server (use it) or another embedded run (wait).
		if c, ok, err := Running(dir); ok || err != nil {
			return c, nil, err
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("the sandbox in %s stayed busy for 2 minutes: another eksaccess --sandbox command is running", dir)
		}
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Running connects to a `sandbox serve` process on dir, if there is one.
func Running(dir string) (*Conn, bool, error) {
	info, ok, err := ReadRunInfo(dir)
	if err != nil || !ok {
		return nil, false, err
	}
	d, err := state.Load(dir)
	if err != nil {
		return nil, false, err
	}
	c, err := connFromData(info.Endpoint, d)
	return c, err == nil, err
}

func connFromData(endpoint string, d *state.Data) (*Conn, error) {
	id, secret, ok := AdminKey(d)
	if !ok {
		return nil, fmt.Errorf("the sandbox has no access key for its admin user: run `eksaccess sandbox reset`")
	}
	return &Conn{Endpoint: endpoint, Region: d.Region, AccessKeyID: id, SecretAccessKey: secret}, nil
}
