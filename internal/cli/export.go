package cli

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/output"
	"eksaccess/internal/usecase"
	"eksaccess/internal/view"
)

type exportOptions struct {
	job[usecase.ExportRequest, *usecase.ExportResult]
	outFile string
}

func newExportCmd(f *Factory, runF func(*exportOptions) error) *cobra.Command {
	o := &exportOptions{job: newJob(f, f.Env().Export)}
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
			return dispatch(o, o.prepare(o.Req.Validate, output.YAML, output.JSON), runF, func() error { return runExport(cmd.Context(), o) })
		},
	}
	cmd.Flags().StringArrayVarP(&o.Req.Clusters, "cluster", "c", nil, "EKS cluster to export; repeatable")
	cmd.Flags().StringVar(&o.outFile, "output-file", "", "write the file here instead of stdout")
	cmd.Flags().IntVar(&o.Req.Concurrency, "concurrency", 16, "entries read in parallel")
	return cmd
}

func runExport(ctx context.Context, o *exportOptions) error {
	res, err := o.Run(ctx, o.Req)
	if err != nil {
		return err
	}
	view.Notes(o.io.ErrOut, res.Notes)
	var b []byte
	if o.format == output.JSON {
		b, err = json.MarshalIndent(res.Config, "", "  ")
		b = append(b, '\n')
	} else {
		b, err = accessfile.Marshal(res.Config)
	}
	if err != nil {
		return err
	}
	return writeOutput(o.io, o.outFile, b, fmt.Sprintf("%d cluster(s)", len(res.Config.Clusters)))
}
