package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type authModeOptions struct {
	cmdIO
	Status func(context.Context, usecase.AuthModeRequest) (*usecase.AuthModeResult, *usecase.Change, error)
	Switch func(context.Context, *usecase.AuthModeResult, *usecase.Change, []string) (*usecase.AuthModeResult, error)
	Req    usecase.AuthModeRequest
	yes    bool
}

func newAuthModeCmd(f *Factory, runF func(*authModeOptions) error) *cobra.Command {
	env := f.Env()
	o := &authModeOptions{cmdIO: newCmdIO(f), Status: env.AuthModeStatus, Switch: env.SwitchAuthMode}
	cmd := &cobra.Command{
		Use:   "auth-mode -c CLUSTER [--set API_AND_CONFIG_MAP|API] [--yes]",
		Short: "Show a cluster's authentication mode, or switch it one step forward",
		Long: `Without --set, auth-mode shows how the cluster authenticates: CONFIG_MAP (the aws-auth
ConfigMap only), API_AND_CONFIG_MAP (access entries first, then aws-auth) or API (access
entries only). With --set it switches one step forward. EKS never switches back, so the
switch cannot be undone: it asks for confirmation on a terminal (--yes skips it).

Switching to API stops the aws-auth ConfigMap from being read. The switch is checked like
every change, on the state it leads to: refused when you would lose cluster-admin access
(your only admin path being an aws-auth mapping) or when no cluster-scoped admin would
remain — unless --force names the ARN the refusal gives. Move the ConfigMap's mappings to
access entries first: eksaccess migrate aws-auth.`,
		Example: `  eksaccess auth-mode -c legacy-cm
  eksaccess auth-mode -c legacy-cm --set API_AND_CONFIG_MAP --yes`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return dispatch(o, o.prepare(o.Req.Validate), runF, func() error { return runAuthMode(cmd.Context(), o) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	cmd.Flags().StringVar(&o.Req.Set, "set", "", "switch to this mode: API_AND_CONFIG_MAP or API (one step forward; cannot be undone)")
	cmd.Flags().BoolVarP(&o.yes, "yes", "y", false, "switch without asking for confirmation")
	addForceFlag(cmd, &o.Req.Force)
	return cmd
}

func runAuthMode(ctx context.Context, o *authModeOptions) error {
	format := o.format
	res, ch, err := o.Status(ctx, o.Req)
	if err != nil {
		return o.changeOutput("auth-mode").render(nil, err)
	}
	if o.Req.Set == "" {
		return show(o.io.Out, format, res, func() error { return view.AuthMode(o.io.Out, res) })
	}
	if ch == nil {
		fmt.Fprintf(o.io.Out, "%s is already in %s: nothing to do\n", res.Cluster, res.Mode)
		return nil
	}
	view.SwitchWarning(o.io.ErrOut, res, o.Req.Set)
	if err := confirm(o.io, o.yes, "auth-mode", fmt.Sprintf("Switch %s to %s?", res.Cluster, o.Req.Set),
		"switching the authentication mode needs confirmation and there is no terminal to ask on: run again with --yes"); err != nil {
		return err
	}
	res, err = o.Switch(ctx, res, ch, o.Req.Force)
	if err != nil {
		return err
	}
	return show(o.io.Out, format, res, func() error { view.Modes(o.io.Out, map[string]string{res.Cluster: res.Mode}); return nil })
}
