package usecase

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"eksaccess/internal/accessfile"
	"eksaccess/internal/awsapi"
	"eksaccess/internal/awsauth"
	"eksaccess/internal/plan"
	"eksaccess/internal/principal"
)

// MigrateRequest turns a cluster's aws-auth ConfigMap (from the cluster, or From a file the
// user saved) into an access file.
type MigrateRequest struct {
	Cluster ClusterRef `json:"cluster"`
	From    string     `json:"from,omitempty"`
}

// MigrateResult is the access file, what could not be mapped, and the counts.
type MigrateResult struct {
	File     []byte
	Warnings []string
	Summary  string
}

// Migrate reads aws-auth and converts it: role paths looked up in IAM, system:masters to
// AmazonEKSClusterAdminPolicy, node roles to node entries; a cluster still in CONFIG_MAP
// gets API_AND_CONFIG_MAP. The converted file is loaded back before it is returned.
func (e *Env) Migrate(ctx context.Context, r MigrateRequest) (*MigrateResult, error) {
	if err := r.Cluster.check(); err != nil {
		return nil, err
	}
	c, cluster, err := e.clusterOf(ctx, r.Cluster)
	if err != nil {
		return nil, err
	}
	dc, err := c.EKS.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String(cluster)})
	if err != nil {
		return nil, plan.ClusterError(cluster, err)
	}
	var data []byte
	name := r.From
	if r.From != "" {
		data, err = os.ReadFile(r.From)
		if err != nil {
			return nil, inputErrorf("read --from %s: %v; check the path", r.From, unwrapPathError(err))
		}
	} else {
		name = "aws-auth (cluster " + cluster + ")"
		if e.ReadAWSAuth == nil {
			return nil, fmt.Errorf("cannot read aws-auth from %s here: save it with kubectl and pass --from", cluster)
		}
		if data, err = e.ReadAWSAuth(ctx, c, cluster); err != nil {
			return nil, err
		}
	}
	cm, err := awsauth.Parse(name, data)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	region := c.Config.Region
	mode := ""
	if dc.Cluster != nil {
		if parts := strings.Split(aws.ToString(dc.Cluster.Arn), ":"); len(parts) > 3 && parts[3] != "" {
			region = parts[3]
		}
		if dc.Cluster.AccessConfig != nil {
			mode = string(dc.Cluster.AccessConfig.AuthenticationMode)
		}
	}
	cl, warns := awsauth.Convert(cm, awsauth.Options{ClusterName: cluster, Region: region, ResolveRole: roleResolver(ctx, c.IAM)})
	switch mode {
	case "CONFIG_MAP", "":
		cl.AuthenticationMode = accessfile.AuthModeAPIAndConfigMap
	default:
		cl.AuthenticationMode = mode
	}
	if r.Cluster.HyperPod != "" {
		cl.Name, cl.HyperPod = "", r.Cluster.HyperPod
	}
	b, err := accessfile.Marshal(&accessfile.Config{Clusters: []accessfile.Cluster{*cl}})
	if err != nil {
		return nil, err
	}
	if _, err := accessfile.Parse("migrated access file", b, accessfile.Options{}); err != nil {
		return nil, fmt.Errorf("the converted access file does not load (%v): this is a bug in eksaccess, please report it", err)
	}
	res := &MigrateResult{File: b, Summary: fmt.Sprintf("migrated %d of %d mapping(s) (%d mapRoles, %d mapUsers, %d mapAccounts); %d warning(s)",
		len(cl.Access), len(cm.Roles)+len(cm.Users)+len(cm.Accounts), len(cm.Roles), len(cm.Users), len(cm.Accounts), len(warns))}
	for _, w := range warns {
		res.Warnings = append(res.Warnings, fmt.Sprint(w))
	}
	return res, nil
}

// roleResolver looks an aws-auth role ARN (never with a path) up in IAM to get the ARN an
// access entry needs. Roles of other accounts are kept as written.
func roleResolver(ctx context.Context, api awsapi.IAM) func(string) (string, error) {
	return func(arn string) (string, error) {
		p, err := principal.ParsePrincipalARN(arn)
		if err != nil {
			return "", err
		}
		out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(p.Name)})
		if err != nil {
			var nse *iamtypes.NoSuchEntityException
			if errors.As(err, &nse) {
				return "", fmt.Errorf("no IAM role named %s in this account", p.Name)
			}
			return "", err
		}
		full := aws.ToString(out.Role.Arn)
		if fp, err := principal.ParsePrincipalARN(full); err == nil && fp.Account != p.Account {
			return "", nil // another account's role: IAM answered for ours
		}
		return full, nil
	}
}
