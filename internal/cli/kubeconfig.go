package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"eksaccess/internal/sandbox"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

// executablePath is the binary kubeconfig exec users run (a variable so tests can pin it).
var executablePath = os.Executable

type kubeconfigOptions struct {
	job[usecase.KubeconfigRequest, *usecase.KubeconfigResult]
	sandbox func() (dir string, running bool) // --sandbox: the sandbox kubectl will need
}

func newKubeconfigCmd(f *Factory, runF func(*kubeconfigOptions) error) *cobra.Command {
	o := &kubeconfigOptions{job: newJob(f, f.Env().Kubeconfig)}
	cmd := &cobra.Command{
		Use:   "kubeconfig -c CLUSTER [--role ROLE] [--session-name S] [--alias A] [--kubeconfig PATH]",
		Short: "Add a cluster to your kubeconfig, with `eksaccess token` as its credential plugin",
		Long: `Add (or update) a cluster, user and context in your kubeconfig, as
` + "`aws eks update-kubeconfig`" + ` does, and make the context current. The user runs this
eksaccess binary (` + "`eksaccess token`" + `) as its exec credential plugin, with the same
--region, --profile, --assume-role (with --external-id and --role-session-name),
--endpoint-url or --sandbox, so kubectl reaches the AWS you used as the identity you had.

The file is the first of --kubeconfig, the $KUBECONFIG entry that already holds the
cluster, the first $KUBECONFIG entry, or ~/.kube/config. Other entries are kept; the
file is written 0600.

With --role the plugin assumes that role (resolved to its ARN) for every token, with
--session-name, by default your IAM user name: people who share a role get their own
kubeconfig and show up under their own session name in the cluster. Use --alias to keep
several roles for one cluster side by side (the context and user get that name).`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.prepare(o.Req.Validate); err != nil {
				return err
			}
			var err error
			if o.Req.Plugin, err = f.plugin(); err != nil {
				return err
			}
			if f.UseSandbox {
				o.sandbox = func() (string, bool) {
					_, running, _ := sandbox.Running(f.SandboxDir())
					return f.SandboxDir(), running
				}
			}
			return dispatch(o, nil, runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addRoleFlags(cmd, &o.Req.As)
	cmd.Flags().StringVar(&o.Req.Alias, "alias", "", "name of the context and user (default: the cluster ARN)")
	cmd.Flags().StringVar(&o.Req.Path, "kubeconfig", "", "kubeconfig file to write (default: $KUBECONFIG or ~/.kube/config)")
	return cmd
}

// plugin is how kubectl runs this binary so that it reaches the AWS this run used.
func (f *Factory) plugin() (usecase.Plugin, error) {
	exe, err := executablePath()
	if err != nil {
		return usecase.Plugin{}, fmt.Errorf("find the eksaccess binary for the kubeconfig's exec plugin: %w: run eksaccess by its full path", err)
	}
	src := usecase.PluginSource{Executable: exe, EndpointURL: f.EndpointURL, Profile: f.Profile, ActiveProfile: f.activeProfile(), Assume: f.assumed()}
	if f.UseSandbox {
		src.SandboxDir = f.SandboxDir()
	}
	return src.Plugin(), nil
}

func (o *kubeconfigOptions) render(res *usecase.KubeconfigResult, err error) error {
	if err != nil {
		return err
	}
	return show(o.io.Out, o.format, res, func() error {
		down := false
		if o.sandbox != nil {
			_, running := o.sandbox()
			down = !running
		}
		view.Kubeconfig(o.io.ErrOut, res, down)
		return nil
	})
}

// activeProfile is the AWS profile in use, if any (none in sandbox mode).
func (f *Factory) activeProfile() string {
	if f.UseSandbox {
		return ""
	}
	if f.Profile != "" {
		return f.Profile
	}
	return f.Getenv("AWS_PROFILE")
}
