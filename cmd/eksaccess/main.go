// Command eksaccess manages who can reach Amazon EKS (and SageMaker HyperPod) clusters
// through EKS access entries.
package main

import (
	"os"

	"eksaccess/internal/cli"
)

func main() { os.Exit(cli.Main()) }
