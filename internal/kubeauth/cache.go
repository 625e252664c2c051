package kubeauth

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"eksaccess/internal/atomicfile"
)

// cacheMargin: a cached token is replaced this long before it expires, so a kubectl
// command that starts just before expiry does not fail halfway.
const cacheMargin = time.Minute

// Cache keeps tokens per (cluster, identity) in one 0600 JSON file each, so kubectl's
// exec plugin does not pay for credential resolution (and an AssumeRole) on every command.
type Cache struct {
	Dir string           // created 0700 when first written
	Now func() time.Time // nil means time.Now
}

type cacheFile struct {
	Cluster    string    `json:"cluster"`
	Identity   string    `json:"identity"`
	Token      string    `json:"token"`
	Expiration time.Time `json:"expiration"`
}

// IdentityKey joins what identifies a signer (for example the STS endpoint, region, profile
// or access key id, role ARN and session name) into one cache identity.
func IdentityKey(parts ...string) string { return strings.Join(parts, "\x1f") }

func (c *Cache) path(cluster, identity string) string {
	sum := sha256.Sum256([]byte(cluster + "\x00" + identity))
	return filepath.Join(c.Dir, hex.EncodeToString(sum[:16])+".json")
}

func (c *Cache) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// Get returns a cached token for (cluster, identity) that is valid for at least one more
// minute. A missing, unreadable or foreign file is a miss, never an error.
func (c *Cache) Get(cluster, identity string) (Token, bool) {
	b, err := os.ReadFile(c.path(cluster, identity))
	if err != nil {
		return Token{}, false
	}
	var f cacheFile
	if json.Unmarshal(b, &f) != nil || f.Cluster != cluster || f.Identity != identity || f.Token == "" {
		return Token{}, false
	}
	if !c.now().Before(f.Expiration.Add(-cacheMargin)) {
		return Token{}, false
	}
	return Token{Token: f.Token, Expiration: f.Expiration}, true
}

// Put stores tok for (cluster, identity), atomically (temporary file and rename), mode 0600.
func (c *Cache) Put(cluster, identity string, tok Token) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return fmt.Errorf("create token cache %s: %w", c.Dir, err)
	}
	b, err := json.Marshal(cacheFile{Cluster: cluster, Identity: identity, Token: tok.Token, Expiration: tok.Expiration.UTC()})
	if err != nil {
		return err
	}
	if err := atomicfile.Write(c.path(cluster, identity), b, 0o600, true); err != nil {
		return fmt.Errorf("write token cache: %w: check permissions on %s", err, c.Dir)
	}
	return nil
}

// Clear removes the cached token for (cluster, identity), if any.
func (c *Cache) Clear(cluster, identity string) error {
	err := os.Remove(c.path(cluster, identity))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}
