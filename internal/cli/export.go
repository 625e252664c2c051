package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/output"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

type exportOptions struct {
	f        *Factory
	clusters []string
	outFile  string
	conc     int
}

func newExportCmd(f *Factory) *cobra.Command {
	o := &exportOptions{f: f}
	cmd := &cobra.Command{
		Use:   "export -c CLUSTER [-c CLUSTER]... [-o yaml|json] [--output-file FILE]",
		Short: "Write the live access of clusters as an access file",
		Long: `Export reads each cluster once and writes its access entries as an access file, so
that ` + "`eksaccess plan`" + ` of the exported file shows no changes. Policies, namespaces,
Kubernetes groups, custom usernames, expiries and extra tags are kept; node and service
entries are exported with their type. HYPERPOD_LINUX entries are left out (SageMaker
HyperPod owns them and the file cannot declare them; prune never touches them).
The file does not turn pruning on: add prune: true once you have reviewed it.`,
		Example: `  eksaccess export -c hyperpod-demo > access.yaml
  eksaccess export -c prod-a -c prod-b --output-file access.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(o.clusters) == 0 {
				return usageErrorf("name at least one cluster with -c CLUSTER")
			}
			for _, c := range o.clusters {
				if err := validateClusterName(c); err != nil {
					return &UsageError{Err: err}
				}
			}
			return runExport(cmd.Context(), o)
		},
	}
	cmd.Flags().StringArrayVarP(&o.clusters, "cluster", "c", nil, "EKS cluster to export; repeatable")
	cmd.Flags().StringVar(&o.outFile, "output-file", "", "write the file here instead of stdout")
	cmd.Flags().IntVar(&o.conc, "concurrency", 16, "entries read in parallel")
	return cmd
}

func runExport(ctx context.Context, o *exportOptions) error {
	format, err := o.f.Format(output.YAML, output.JSON)
	if err != nil {
		return err
	}
	if o.f.Output == "" {
		format = output.YAML
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	cfg := &accessfile.Config{APIVersion: accessfile.APIVersion, Kind: accessfile.Kind}
	for _, name := range o.clusters {
		live, err := plan.ReadCluster(ctx, c.EKS, name, plan.ReadOptions{Concurrency: o.conc})
		if err != nil {
			return err
		}
		if live.Region == "" {
			live.Region = c.Config.Region
		}
		cl, skipped := ExportCluster(live.LiveCluster)
		for _, s := range skipped {
			fmt.Fprintf(o.f.IO.ErrOut, "note: %s: %s\n", name, s)
		}
		if live.AuthenticationMode == "CONFIG_MAP" {
			fmt.Fprintf(o.f.IO.ErrOut, "note: %s is in CONFIG_MAP mode and has no access entries: `eksaccess migrate aws-auth -c %s` turns its aws-auth ConfigMap into an access file\n", name, name)
		}
		cfg.Clusters = append(cfg.Clusters, *cl)
	}
	var b []byte
	if format == output.JSON {
		b, err = json.MarshalIndent(cfg, "", "  ")
		b = append(b, '\n')
	} else {
		b, err = accessfile.Marshal(cfg)
	}
	if err != nil {
		return err
	}
	if o.outFile == "" {
		_, err = o.f.IO.Out.Write(b)
		return err
	}
	if err := os.WriteFile(o.outFile, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w; check the directory exists and is writable", o.outFile, err)
	}
	fmt.Fprintf(o.f.IO.ErrOut, "wrote %s: %d cluster(s)\n", o.outFile, len(cfg.Clusters))
	return nil
}

// ExportCluster turns a live cluster into its access-file section, and says what it left
// out. Usernames EKS generated are left out (EKS generates them again); custom ones kept.
func ExportCluster(live *plan.LiveCluster) (*accessfile.Cluster, []string) {
	cl := &accessfile.Cluster{Name: live.Name, Region: live.Region, AuthenticationMode: live.AuthenticationMode}
	var skipped []string
	partition := accessfile.PartitionOf(live.Region)
	for _, e := range live.SortedEntries() {
		if e.Type == accessfile.TypeHyperPodLinux {
			skipped = append(skipped, fmt.Sprintf("%s (HYPERPOD_LINUX) left out: SageMaker HyperPod owns it", e.PrincipalArn))
			continue
		}
		it := accessfile.AccessItem{Principal: e.PrincipalArn}
		if e.Type != accessfile.TypeStandard {
			it.Type = e.Type
		} else {
			for _, p := range e.Policies {
				ref := accessfile.PolicyRef{Policy: p.PolicyArn, Namespaces: slices.Clone(p.Namespaces)}
				if name := plan.PolicyName(p.PolicyArn); ref.Policy == (accessfile.PolicyRef{Policy: name}).ARN(partition) {
					ref.Policy = name
				}
				it.Policies = append(it.Policies, ref)
			}
			if len(e.KubernetesGroups) > 0 {
				it.KubernetesGroups = slices.Clone(e.KubernetesGroups)
				sort.Strings(it.KubernetesGroups)
			}
			if e.Username != "" && e.Username != defaultEntryUsername(e.PrincipalArn) {
				if msg := accessfile.CheckUsername(e.Username); msg == "" {
					it.Username = e.Username
				} else {
					skipped = append(skipped, fmt.Sprintf("%s: username %q left out (%s)", e.PrincipalArn, e.Username, msg))
				}
			}
			if t, ok := uniformExpiry(e); ok {
				it.Expires = plan.FormatExpiry(t)
			} else if !t.IsZero() {
				skipped = append(skipped, fmt.Sprintf("%s: its grants expire at different times, which an access file item cannot say: exported without expires (eksaccess entries show lists them)", e.PrincipalArn))
			}
		}
		for k, v := range e.Tags {
			if strings.HasPrefix(k, "eksaccess/") || strings.HasPrefix(k, "aws:") {
				continue
			}
			if it.Tags == nil {
				it.Tags = map[string]string{}
			}
			it.Tags[k] = v
		}
		cl.Access = append(cl.Access, it)
	}
	return cl, skipped
}

// defaultEntryUsername is the username EKS gives an entry created without one: the user's
// ARN, or for a role arn:PARTITION:sts::ACCOUNT:assumed-role/NAME/{{SessionName}}.
func defaultEntryUsername(principalArn string) string {
	p, err := principal.ParsePrincipalARN(principalArn)
	if err != nil || p.Kind != principal.KindRole {
		return principalArn
	}
	return "arn:" + p.Partition + ":sts::" + p.Account + ":assumed-role/" + p.Name + "/{{SessionName}}"
}

// uniformExpiry is the expiry of an entry whose every association expires whole at one
// time — what an access file item's expires says.
func uniformExpiry(e *plan.LiveEntry) (time.Time, bool) {
	x := e.Expiry()
	t := e.NextExpiry()
	if t.IsZero() {
		return t, false
	}
	if !x.Legacy.IsZero() && len(x.Records) == 0 {
		return x.Legacy, true
	}
	if len(x.Records) != len(e.Policies) {
		return t, false
	}
	for _, r := range x.Records {
		p, ok := e.Policy(plan.PolicyArnFor(e.PrincipalArn, r.Policy))
		if !ok || !r.At.Equal(t) || (r.Cluster() != (p.ScopeType == "cluster")) || (!r.Cluster() && strings.Join(r.Namespaces, ",") != strings.Join(p.Namespaces, ",")) {
			return t, false
		}
	}
	return t, true
}
