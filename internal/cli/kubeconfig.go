package cli

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"eksaccess/internal/kubeauth"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/usecase"
)

// executablePath is the binary kubeconfig exec users run (a variable so tests can pin it).
var executablePath = os.Executable

type kubeconfigOptions struct {
	f     *Factory
	ref   clusterRef
	as    usecase.AsRole
	alias string
	path  string
}

func newKubeconfigCmd(f *Factory) *cobra.Command {
	o := &kubeconfigOptions{f: f}
	cmd := &cobra.Command{
		Use:   "kubeconfig -c CLUSTER [--role ROLE] [--session-name S] [--alias A] [--kubeconfig PATH]",
		Short: "Add a cluster to your kubeconfig, with `eksaccess token` as its credential plugin",
		Long: `Add (or update) a cluster, user and context in your kubeconfig, as
` + "`aws eks update-kubeconfig`" + ` does, and make the context current. The user runs this
eksaccess binary (` + "`eksaccess token`" + `) as its exec credential plugin, with the same
--region, --profile, --endpoint-url or --sandbox, so kubectl reaches the AWS you used.

The file is the first of --kubeconfig, the $KUBECONFIG entry that already holds the
cluster, the first $KUBECONFIG entry, or ~/.kube/config. Other entries are kept; the
file is written 0600.

With --role the plugin assumes that role (resolved to its ARN) for every token, with
--session-name, by default your IAM user name: people who share a role get their own
kubeconfig and show up under their own session name in the cluster. Use --alias to keep
several roles for one cluster side by side (the context and user get that name).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			if err := o.as.Validate(); err != nil {
				return asUsage(err)
			}
			return runKubeconfig(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	addRoleFlags(cmd, &o.as)
	cmd.Flags().StringVar(&o.alias, "alias", "", "name of the context and user (default: the cluster ARN)")
	cmd.Flags().StringVar(&o.path, "kubeconfig", "", "kubeconfig file to write (default: $KUBECONFIG or ~/.kube/config)")
	return cmd
}

// KubeconfigResult is what `eksaccess kubeconfig -o json` prints.
type KubeconfigResult struct {
	Path        string   `json:"path"`
	Context     string   `json:"context"`
	Cluster     string   `json:"cluster"`
	ClusterArn  string   `json:"clusterArn"`
	Server      string   `json:"server"`
	Region      string   `json:"region"`
	RoleArn     string   `json:"roleArn,omitempty"`
	SessionName string   `json:"sessionName,omitempty"`
	Command     string   `json:"command"`
	Args        []string `json:"args"`
	Env         []string `json:"env,omitempty"`
	Updated     bool     `json:"updated"` // the context existed before
}

func runKubeconfig(ctx context.Context, o *kubeconfigOptions) error {
	f := o.f
	format, err := f.Format()
	if err != nil {
		return err
	}
	cluster, err := o.ref.resolve(ctx, f)
	if err != nil {
		return err
	}
	c, err := f.Clients(ctx)
	if err != nil {
		return err
	}
	dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return plan.ClusterError(cluster, err)
	}
	info := kubeauth.ClusterInfo{Name: cluster, Region: c.Config.Region}
	if cl := dc.Cluster; cl != nil {
		info.Arn, info.Endpoint = aws.ToString(cl.Arn), aws.ToString(cl.Endpoint)
		if cl.CertificateAuthority != nil {
			info.CAData = aws.ToString(cl.CertificateAuthority.Data)
		}
		if info.Endpoint == "" {
			return fmt.Errorf("cluster %s has no API endpoint yet (status %s): wait until it is ACTIVE and retry", cluster, cl.Status)
		}
	}
	// Like update-kubeconfig, the plugin signs in the cluster's own region.
	if parts := strings.Split(info.Arn, ":"); len(parts) > 3 && parts[3] != "" {
		info.Region = parts[3]
	}

	res := KubeconfigResult{Cluster: cluster, ClusterArn: info.Arn, Server: info.Endpoint, Region: info.Region}
	args := []string{"token", "-c", cluster, "--region", info.Region}
	if o.as.Role != "" {
		if res.RoleArn, err = resolveRoleArn(ctx, f, o.as.Role); err != nil {
			return err
		}
		res.SessionName = o.as.SessionName
		if res.SessionName == "" {
			if res.SessionName, err = defaultSessionName(ctx, f); err != nil {
				return err
			}
		}
		args = append(args, "--role", res.RoleArn, "--session-name", res.SessionName)
	}
	var env []kubeauth.EnvVar
	switch {
	case f.UseSandbox:
		args = append(args, "--sandbox")
		env = append(env, kubeauth.EnvVar{Name: "EKSACCESS_SANDBOX", Value: f.SandboxDir()})
	case f.EndpointURL != "":
		args = append(args, "--endpoint-url", f.EndpointURL)
	}
	if f.Profile != "" && !f.UseSandbox {
		args = append(args, "--profile", f.Profile)
	}
	if p := activeProfile(f); p != "" {
		env = append(env, kubeauth.EnvVar{Name: "AWS_PROFILE", Value: p})
	}
	exe, err := executablePath()
	if err != nil {
		return fmt.Errorf("find the eksaccess binary for the kubeconfig's exec plugin: %w: run eksaccess by its full path", err)
	}
	res.Command, res.Args = exe, args
	for _, e := range env {
		res.Env = append(res.Env, e.Name+"="+e.Value)
	}

	res.Path, err = kubeauth.ResolveKubeconfigPath(o.path, info.Arn)
	if err != nil {
		return err
	}
	res.Context = o.alias
	if res.Context == "" {
		res.Context = info.Arn
	}
	if old, err := clientcmd.LoadFromFile(res.Path); err == nil {
		_, res.Updated = old.Contexts[res.Context]
	}
	if err := kubeauth.MergeKubeconfig(res.Path, info, kubeauth.ExecUser{Command: exe, Args: args, Env: env}, o.alias, true); err != nil {
		return err
	}

	if format != output.Table {
		return output.Data(f.IO.Out, format, res)
	}
	verb := "Added new context %s to %s"
	if res.Updated {
		verb = "Updated context %s in %s"
	}
	fmt.Fprintf(f.IO.ErrOut, verb+"\n", res.Context, res.Path)
	if res.RoleArn != "" {
		fmt.Fprintf(f.IO.ErrOut, "kubectl will use role %s as session %s\n", res.RoleArn, res.SessionName)
	}
	if f.UseSandbox {
		if _, running, _ := runningSandbox(f.SandboxDir()); !running {
			fmt.Fprintf(f.IO.ErrOut, "note: the sandbox's Kubernetes endpoint lives only while a sandbox runs: start `eksaccess sandbox serve` before using kubectl\n")
		}
	}
	return nil
}

// activeProfile is the AWS profile in use, if any (none in sandbox mode).
func activeProfile(f *Factory) string {
	if f.UseSandbox {
		return ""
	}
	if f.Profile != "" {
		return f.Profile
	}
	return f.Getenv("AWS_PROFILE")
}
