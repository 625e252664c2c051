package cli

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/spf13/cobra"

	"eksaccess/internal/awsapi"
	"eksaccess/internal/output"
)

type policiesOptions struct {
	f *Factory
}

func newPoliciesCmd(f *Factory) *cobra.Command {
	o := &policiesOptions{f: f}
	return &cobra.Command{
		Use:   "policies",
		Short: "List the EKS access policies (live ListAccessPolicies)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPolicies(cmd.Context(), o)
		},
	}
}

// AccessPolicy is an EKS access policy.
type AccessPolicy struct {
	Name string `json:"name"`
	Arn  string `json:"arn"`
}

// listAccessPolicies pages through ListAccessPolicies.
func listAccessPolicies(ctx context.Context, api awsapi.EKS) ([]AccessPolicy, error) {
	var out []AccessPolicy
	p := eks.NewListAccessPoliciesPaginator(api, &eks.ListAccessPoliciesInput{MaxResults: aws.Int32(100)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, ap := range page.AccessPolicies {
			out = append(out, AccessPolicy{Name: aws.ToString(ap.Name), Arn: aws.ToString(ap.Arn)})
		}
	}
	return out, nil
}

func runPolicies(ctx context.Context, o *policiesOptions) error {
	format, err := o.f.Format()
	if err != nil {
		return err
	}
	c, err := o.f.Clients(ctx)
	if err != nil {
		return err
	}
	pols, err := listAccessPolicies(ctx, c.EKS)
	if err != nil {
		return err
	}
	if format != output.Table {
		return output.Data(o.f.IO.Out, format, pols)
	}
	t := output.NewTable(o.f.IO.Out, "NAME", "ARN")
	for _, p := range pols {
		t.Row(p.Name, p.Arn)
	}
	return t.Flush()
}
