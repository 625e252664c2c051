package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/iostreams"
	"eksaccess/internal/kubeauth"
	"eksaccess/internal/usecase"
)

type tokenOptions struct {
	io       *iostreams.IOStreams
	execInfo string // KUBERNETES_EXEC_INFO
	Run      func(context.Context, usecase.TokenRequest) (kubeauth.Token, error)
	Req      usecase.TokenRequest
}

func newTokenCmd(f *Factory, runF func(*tokenOptions) error) *cobra.Command {
	o := &tokenOptions{io: f.IO, Run: f.Env().Token}
	cmd := &cobra.Command{
		Use:   "token -c CLUSTER [--role ROLE] [--session-name S]",
		Short: "Print an EKS bearer token as a client-go ExecCredential (kubectl's exec plugin)",
		Long: `Print an EKS bearer token for a cluster as the ExecCredential kubectl's exec plugin
expects, byte-compatible with ` + "`aws eks get-token`" + `: a presigned STS GetCallerIdentity URL bound
to the cluster (x-k8s-aws-id), valid for 15 minutes, reported as expiring after 14.
The apiVersion follows KUBERNETES_EXEC_INFO (v1beta1 when it is not set).

With --role (a role name, role/NAME or the role ARN) it assumes the role first; the
session name defaults to your IAM user name (or your own session's name), so the
cluster can tell people who share a role apart.

Tokens are cached per cluster and identity in a 0600 file under the user cache
directory (XDG_CACHE_HOME/eksaccess/tokens) until a minute before they expire, so
kubectl does not pay for an STS call (or an AssumeRole) on every command.

` + "`eksaccess kubeconfig`" + ` writes kubeconfig entries that run this command.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.execInfo = f.Getenv("KUBERNETES_EXEC_INFO")
			return dispatch(o, o.Req.Validate(), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addRoleFlags(cmd, &o.Req.As)
	return cmd
}

// render prints the token as the ExecCredential of the apiVersion kubectl asked for.
func (o *tokenOptions) render(tok kubeauth.Token, err error) error {
	if err != nil {
		return err
	}
	apiVersion, warning := kubeauth.ExecAPIVersion(o.execInfo)
	if warning != "" {
		fmt.Fprintln(o.io.ErrOut, "warning: "+warning)
	}
	b, err := kubeauth.ExecCredentialJSON(tok, apiVersion)
	if err != nil {
		return err
	}
	_, err = o.io.Out.Write(b)
	return err
}

// addRoleFlags adds --role and --session-name, shared by token, kubeconfig and verify.
func addRoleFlags(cmd *cobra.Command, as *usecase.AsRole) {
	cmd.Flags().StringVar(&as.Role, "role", "", "assume this IAM role first (name, role/NAME, role/PATH/NAME or ARN)")
	cmd.Flags().StringVar(&as.SessionName, "session-name", "", "role session name (default: your IAM user name or session name)")
}
