package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

func init() { register(newAuthModeCmd) }

type authModeOptions struct {
	f     *Factory
	ref   clusterRef
	set   string
	yes   bool
	force bool
}

func newAuthModeCmd(f *Factory) *cobra.Command {
	o := &authModeOptions{f: f}
	cmd := &cobra.Command{
		Use:   "auth-mode -c CLUSTER [--set API_AND_CONFIG_MAP|API] [--yes]",
		Short: "Show a cluster's authentication mode, or switch it one step forward",
		Long: `Without --set, auth-mode shows how the cluster authenticates: CONFIG_MAP (the aws-auth
ConfigMap only), API_AND_CONFIG_MAP (access entries first, then aws-auth) or API (access
entries only). With --set it switches one step forward. EKS never switches back, so the
switch cannot be undone: it asks for confirmation on a terminal (--yes skips it).

Switching to API stops the aws-auth ConfigMap from being read: auth-mode refuses when you
yourself have no access entry on the cluster (you would lock yourself out) unless --force.
Move the ConfigMap's mappings to access entries first: eksaccess migrate aws-auth.`,
		Example: `  eksaccess auth-mode -c legacy-cm
  eksaccess auth-mode -c legacy-cm --set API_AND_CONFIG_MAP --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.ref.validate(); err != nil {
				return err
			}
			o.set = strings.ToUpper(strings.TrimSpace(o.set))
			if cmd.Flags().Changed("set") && o.set != "API_AND_CONFIG_MAP" && o.set != "API" {
				return usageErrorf("--set %q: switch to API_AND_CONFIG_MAP or API (EKS never switches back to CONFIG_MAP)", o.set)
			}
			return runAuthMode(cmd.Context(), o)
		},
	}
	o.ref.addFlags(cmd)
	cmd.Flags().StringVar(&o.set, "set", "", "switch to this mode: API_AND_CONFIG_MAP or API (one step forward; cannot be undone)")
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "switch without asking for confirmation")
	cmd.Flags().BoolVar(&o.force, "force", false, "switch to API even though you have no access entry on the cluster")
	return cmd
}

type authModeInfo struct {
	Cluster string `json:"cluster"`
	Mode    string `json:"authenticationMode"`
	Next    string `json:"next,omitempty"`
}

func runAuthMode(ctx context.Context, o *authModeOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	cluster, err := o.ref.resolve(ctx, o.f)
	if err != nil {
		return err
	}
	dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return plan.ClusterError(cluster, err)
	}
	mode := ""
	if dc.Cluster != nil && dc.Cluster.AccessConfig != nil {
		mode = string(dc.Cluster.AccessConfig.AuthenticationMode)
	}
	info := authModeInfo{Cluster: cluster, Mode: mode, Next: map[string]string{"CONFIG_MAP": "API_AND_CONFIG_MAP", "API_AND_CONFIG_MAP": "API"}[mode]}
	if o.set == "" {
		if format != output.Table {
			return output.Data(o.f.IO.Out, format, info)
		}
		t := output.NewTable(o.f.IO.Out, "CLUSTER", "AUTHENTICATION MODE", "NEXT STEP")
		t.Row(cluster, mode, info.Next)
		return t.Flush()
	}
	if o.set == mode {
		fmt.Fprintf(o.f.IO.Out, "%s is already in %s: nothing to do\n", cluster, mode)
		return nil
	}
	if msg := plan.CheckModeSwitch(cluster, mode, o.set); msg != "" {
		return &InputError{Err: fmt.Errorf("%s", msg)}
	}
	if o.set == "API" && !o.force {
		caller, err := principal.LookupCaller(ctx, c.STS, c.IAM)
		if err != nil {
			return err
		}
		e, err := plan.ReadEntry(ctx, c.EKS, cluster, caller.PrincipalArn)
		if err != nil {
			return err
		}
		if e == nil {
			return fmt.Errorf("refusing to switch %s to API: you (%s) have no access entry on it, and in API mode the aws-auth ConfigMap no longer grants access, so you could lock yourself out: grant yourself first (eksaccess grant -c %s --policy AmazonEKSClusterAdminPolicy %s), or pass --force if you mean it", cluster, caller.PrincipalArn, cluster, caller.PrincipalArn)
		}
	}
	warn := fmt.Sprintf("switching %s from %s to %s cannot be undone: EKS never switches back", cluster, mode, o.set)
	if o.set == "API" {
		warn += "; the aws-auth ConfigMap stops being read, so principals mapped only there lose access"
	}
	fmt.Fprintln(o.f.IO.ErrOut, "warning: "+warn)
	if !o.yes {
		if !o.f.IO.CanPrompt() {
			return usageErrorf("switching the authentication mode needs confirmation and there is no terminal to ask on: run again with --yes")
		}
		ok, err := o.f.IO.Confirm(fmt.Sprintf("Switch %s to %s?", cluster, o.set))
		if err != nil {
			return &UsageError{Err: err}
		}
		if !ok {
			fmt.Fprintln(o.f.IO.ErrOut, "cancelled: nothing was changed")
			return silentExit(ExitInput)
		}
	}
	if err := switchAuthMode(ctx, o.f, c.EKS, cluster, o.set); err != nil {
		return err
	}
	info.Mode, info.Next = o.set, map[string]string{"API_AND_CONFIG_MAP": "API"}[o.set]
	if format != output.Table {
		return output.Data(o.f.IO.Out, format, info)
	}
	fmt.Fprintf(o.f.IO.Out, "%s: authentication mode is now %s\n", cluster, o.set)
	return nil
}
