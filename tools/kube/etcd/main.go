// Command etcd is the upstream etcd server, built at the version pinned in
// ../versions.env for the sandbox's real Kubernetes mode.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
