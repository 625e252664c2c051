// Package stalltest gives tests an endpoint that accepts TCP connections and never answers
// (not even a TLS handshake): the stalled endpoint every AWS and Kubernetes call's timeouts
// must turn into a clear error.
package stalltest

import (
	"net"
	"sync"
	"testing"
)

// Listener accepts connections on 127.0.0.1 and holds them open, silent, until the test ends.
type Listener struct {
	ln    net.Listener
	mu    sync.Mutex
	conns []net.Conn
}

// Listen starts a stalled listener, closed (with every connection it holds) by t.Cleanup.
func Listen(t testing.TB) *Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &Listener{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.mu.Lock()
			l.conns = append(l.conns, c)
			l.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, c := range l.conns {
			c.Close()
		}
	})
	return l
}

// Addr is host:port.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Accepted is how many connections it has accepted so far.
func (l *Listener) Accepted() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}
