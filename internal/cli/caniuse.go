package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
)

// addKubeRequestFlags binds the parts of a Kubernetes request shared by can-i and who-can.
func addKubeRequestFlags(cmd *cobra.Command, r *usecase.KubeRequest) {
	cmd.Flags().StringVarP(&r.Namespace, "namespace", "n", "", "namespace of the request (default: all namespaces)")
	cmd.Flags().StringVar(&r.Subresource, "subresource", "", "subresource, e.g. exec or log (or write RESOURCE as pods/exec)")
	cmd.Flags().StringVar(&r.APIGroup, "api-group", "", "API group of the resource (or write RESOURCE as deployments.apps)")
}

type canIOptions struct {
	readOptions
	Run func(context.Context, usecase.CanIRequest) (*usecase.CanIResult, error)
	Req usecase.CanIRequest
}

func newCanICmd(f *Factory, runF func(*canIOptions) error) *cobra.Command {
	o := &canIOptions{readOptions: newReadOptions(f), Run: f.Env().CanI}
	cmd := &cobra.Command{
		Use:   "can-i -c CLUSTER PRINCIPAL VERB RESOURCE [-n NS] [--subresource S] [--api-group G]",
		Short: "Say offline whether a principal may do something, from the cluster's access entries and policies",
		Long: `Answer, without a token and without touching the cluster's API, whether PRINCIPAL
(an IAM user name, role/NAME or an ARN) may make a Kubernetes request, from its access
entry and the Kubernetes rules AWS publishes for each access policy; and name the entry
and policy that grant it. RESOURCE is written as for kubectl: pods, pods/exec,
deployments.apps, or a non-resource URL such as /healthz.

The answer is one of:
  yes              an access policy (or a Kubernetes default role) allows it
  no               nothing the entry has allows it
  unknown          only a policy whose rules AWS does not publish could allow it
  depends-on-rbac  only RBAC bound to the entry's Kubernetes groups could allow it

Exit status: 0 yes; 1 no, unknown or depends-on-rbac; 2 bad input.`,
		Example: `  eksaccess can-i -c hyperpod-demo alice list pods -n hyperpod-ns-team-a
  eksaccess can-i -c hyperpod-demo role/EKSFullAccessRole create pods/exec -n team-a
  eksaccess can-i -c hyperpod-demo alice get deployments.apps -n team-a -o json`,
		Args: exactArgs(3, "PRINCIPAL VERB RESOURCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Principal, o.Req.Request.Verb, o.Req.Request.Resource = args[0], args[1], args[2]
			return dispatch(o, o.prepare(f, noted(f.IO.ErrOut, o.Req.Validate)), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addKubeRequestFlags(cmd, &o.Req.Request)
	return cmd
}

// render prints the answer; anything but yes exits 1.
func (o *canIOptions) render(res *usecase.CanIResult, err error) error {
	if err != nil {
		return err
	}
	if o.format != output.Table {
		if err := output.Data(o.io.Out, o.format, res); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(o.io.Out, res.Answer)
		t := output.NewTable(o.io.Out)
		t.Row("Principal:", res.Principal)
		t.Row("Request:", res.Request)
		if e := res.Entry; e != nil {
			t.Row("Entry:", fmt.Sprintf("%s, username %s, groups %s", orDash(e.Type), orDash(e.Username), orDash(strings.Join(e.Groups, ","))))
		}
		if res.Allowed() {
			t.Row("Granted by:", res.Via)
		} else {
			t.Row("Reason:", res.Reason)
		}
		if err := t.Flush(); err != nil {
			return err
		}
	}
	if !res.Allowed() {
		return silentExit(ExitFailure)
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type whoCanOptions struct {
	readOptions
	Run func(context.Context, usecase.WhoCanRequest) (*usecase.WhoCanResult, error)
	Req usecase.WhoCanRequest
}

func newWhoCanCmd(f *Factory, runF func(*whoCanOptions) error) *cobra.Command {
	o := &whoCanOptions{readOptions: newReadOptions(f), Run: f.Env().WhoCan}
	cmd := &cobra.Command{
		Use:   "who-can -c CLUSTER VERB RESOURCE [-n NS] [--subresource S] [--api-group G]",
		Short: "List offline which access entries may do something, and through which policy",
		Long: `List, from the cluster's access entries and the Kubernetes rules AWS publishes for
each access policy, every principal that may make a request (yes), might through a
policy whose rules are not published (unknown), or might through RBAC bound to its
Kubernetes groups (depends-on-rbac). Principals that may not are left out.
RESOURCE is written as for kubectl: pods, pods/exec, deployments.apps or /healthz.`,
		Example: `  eksaccess who-can -c hyperpod-demo get secrets -n hyperpod-ns-team-a
  eksaccess who-can -c hyperpod-demo create pods/exec -n team-a -o json`,
		Args: exactArgs(2, "VERB RESOURCE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Req.Request.Verb, o.Req.Request.Resource = args[0], args[1]
			return dispatch(o, o.prepare(f, noted(f.IO.ErrOut, o.Req.Validate)), runF, func() error { return o.render(o.Run(cmd.Context(), o.Req)) })
		},
	}
	addClusterFlags(cmd, &o.Req.Cluster)
	addKubeRequestFlags(cmd, &o.Req.Request)
	return cmd
}

func (o *whoCanOptions) render(res *usecase.WhoCanResult, err error) error {
	if err != nil {
		return err
	}
	if o.format != output.Table {
		return output.Data(o.io.Out, o.format, res.Rows)
	}
	if len(res.Rows) == 0 {
		fmt.Fprintf(o.io.ErrOut, "no access entry of %s may %s\n", res.Cluster, res.Request)
		return nil
	}
	t := output.NewTable(o.io.Out, "PRINCIPAL", "TYPE", "ANSWER", "VIA")
	for _, r := range res.Rows {
		t.Row(r.PrincipalArn, r.Type, r.Answer, r.Via)
	}
	return t.Flush()
}
