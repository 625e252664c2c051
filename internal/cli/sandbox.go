package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/sandbox"
	"eksaccess/internal/sandbox/state"
)

func newSandboxCmd(f *Factory) *cobra.Command {
	return group(&cobra.Command{
		Use:   "sandbox",
		Short: "Run the local AWS sandbox (EKS, IAM, STS, SageMaker and Kubernetes endpoints)",
		Long: `The sandbox is a local server that speaks the real wire protocols of EKS (access
entries), IAM, STS and SageMaker (HyperPod), so eksaccess, the aws CLI, boto3 and the
AWS SDKs work against it through AWS_ENDPOINT_URL. Each cluster also gets a Kubernetes
API endpoint that accepts EKS tokens, so kubectl auth whoami / can-i show whether a
grant really works. State lives in a directory and survives restarts.`,
	}, newSandboxServeCmd(f), newSandboxEnvCmd(f), newSandboxResetCmd(f))
}

func newSandboxServeCmd(f *Factory) *cobra.Command {
	var opts sandbox.Options
	cmd := newSandboxStateCmd(f, "serve", "Serve the sandbox on loopback and print the export lines that point AWS tools at it", func(cmd *cobra.Command, dir string) error {
		opts.StateDir = dir
		if err := opts.Validate(); err != nil {
			return &UsageError{Err: err}
		}
		return runSandboxServe(cmd.Context(), f, opts)
	})
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:4566", "address of the AWS APIs (plain HTTP, loopback)")
	fl.StringVar(&opts.KubeAddr, "kube-addr", "127.0.0.1:4567", "address of the clusters' Kubernetes endpoints (HTTPS)")
	fl.DurationVar(&opts.Latency, "latency", 0, "latency added to every call, e.g. 20ms")
	fl.Float64Var(&opts.ThrottleRPS, "throttle-rps", 0, "throttle each account's calls to each service above this many requests per second (EKS 429 ThrottlingException, IAM/STS 400 Throttling); 0 = off")
	fl.Float64Var(&opts.FaultRate, "fault-rate", 0, "fraction of calls answered with a 5xx fault (0–1)")
	fl.Float64Var(&opts.ResetRate, "reset-rate", 0, "fraction of calls whose connection is dropped after the request was read (the change may or may not be applied)")
	fl.DurationVar(&opts.ConsistencyDelay, "consistency-delay", 0, "IAM/EKS eventual consistency: new principals are refused by EKS for this long")
	fl.StringVar(&opts.Kubernetes, "kubernetes", sandbox.KubeAuto, "the clusters' Kubernetes endpoints: real (an etcd and a kube-apiserver per cluster, built by bash tools/kube/build.sh) or builtin (a quick stand-in for whoami and can-i); default: real when the components are built")
	fl.StringVar(&opts.LogPath, "log", "", "write a JSON-lines request log to this file")
	fl.Int64Var(&opts.RandSeed, "seed", 1, "seed for the fault and reset decisions")
	fl.BoolVar(&opts.NoIAMEnforce, "no-iam-enforce", false, "do not evaluate IAM identity policies: any authenticated caller may call anything")
	fl.DurationVar(&opts.ClusterDelay, "cluster-delay", sandbox.DefaultClusterDelay, "how long a new cluster stays CREATING (a deleted one DELETING)")
	return cmd
}

func runSandboxServe(ctx context.Context, f *Factory, opts sandbox.Options) error {
	srv, err := sandbox.Start(ctx, opts)
	if err != nil {
		if errors.Is(err, state.ErrLocked) {
			return fmt.Errorf("another sandbox (or an eksaccess --sandbox command) is using %s: stop it, or pass --state DIR for a second sandbox", opts.StateDir)
		}
		return err
	}
	defer srv.Close()
	fmt.Fprint(f.IO.Out, srv.EnvLines())
	fmt.Fprint(f.IO.ErrOut, srv.Banner(opts.StateDir))
	<-ctx.Done()
	fmt.Fprintln(f.IO.ErrOut, "# sandbox stopping")
	return nil
}

// newSandboxStateCmd is a sandbox subcommand without arguments that works on the state
// directory --state names (by default the sandbox eksaccess --sandbox uses).
func newSandboxStateCmd(f *Factory, use, short string, run func(cmd *cobra.Command, dir string) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: noArgs}
	state := cmd.Flags().String("state", "", "state directory (default: EKSACCESS_SANDBOX or ~/.local/state/eksaccess/sandbox)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error { return run(cmd, cmp.Or(*state, f.SandboxDir())) }
	return cmd
}

func newSandboxEnvCmd(f *Factory) *cobra.Command {
	var account string
	cmd := newSandboxStateCmd(f, "env", "Print the export lines for a running or stopped sandbox", func(cmd *cobra.Command, dir string) error {
		lines, running, err := sandbox.EnvForAccount(dir, account)
		if err != nil {
			return err
		}
		fmt.Fprint(f.IO.Out, lines)
		if !running {
			fmt.Fprintf(f.IO.ErrOut, "# the sandbox in %s is not running: start it with `eksaccess sandbox serve --state %s`\n", dir, dir)
		}
		return nil
	})
	cmd.Flags().StringVar(&account, "account", "", "print the admin credentials of this account of the sandbox (default: the first, "+sandbox.DemoAccount+")")
	return cmd
}

func newSandboxResetCmd(f *Factory) *cobra.Command {
	return newSandboxStateCmd(f, "reset", "Restore the sandbox's demo seed (new access keys; everything else is lost)", func(cmd *cobra.Command, dir string) error {
		if err := sandbox.Reset(dir); err != nil {
			return err
		}
		fmt.Fprintf(f.IO.ErrOut, "sandbox in %s restored to the demo seed\n", dir)
		return nil
	})
}
