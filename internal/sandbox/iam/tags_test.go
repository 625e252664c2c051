package iam_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

func tagMap(ts []types.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range ts {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

func TestTagRoleAndPolicy(t *testing.T) {
	env := start(t)
	c := admin(env)
	ctx := context.Background()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("Tagged"), AssumeRolePolicyDocument: aws.String(trust),
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("Tagged"), Tags: []types.Tag{
		{Key: aws.String("eksaccess/managed"), Value: aws.String("true")}, {Key: aws.String("TEAM"), Value: aws.String("b")}}}); err != nil {
		t.Fatal(err)
	}
	gr, err := c.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("Tagged")})
	if err != nil {
		t.Fatal(err)
	}
	// Keys compare case-insensitively: TEAM replaced team's value.
	if got := tagMap(gr.Role.Tags); len(got) != 2 || got["eksaccess/managed"] != "true" || (got["TEAM"] != "b" && got["team"] != "b") {
		t.Errorf("role tags after TagRole = %v", got)
	}
	lt, err := c.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("Tagged")})
	if err != nil || len(lt.Tags) != 2 || lt.IsTruncated {
		t.Errorf("ListRoleTags = %+v, %v", lt, err)
	}
	if _, err := c.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("Nobody"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); apiCode(err) != "NoSuchEntity" {
		t.Errorf("TagRole of a missing role: %v", err)
	}

	cp, err := c.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("P"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"eks:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: cp.Policy.Arn, Tags: []types.Tag{{Key: aws.String("eksaccess/managed"), Value: aws.String("true")}}}); err != nil {
		t.Fatal(err)
	}
	gp, err := c.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: cp.Policy.Arn})
	if err != nil || tagMap(gp.Policy.Tags)["eksaccess/managed"] != "true" {
		t.Errorf("GetPolicy after TagPolicy = %+v, %v", gp, err)
	}
	lp, err := c.ListPolicyTags(ctx, &awsiam.ListPolicyTagsInput{PolicyArn: cp.Policy.Arn})
	if err != nil || len(lp.Tags) != 1 {
		t.Errorf("ListPolicyTags = %+v, %v", lp, err)
	}
	if _, err := c.TagPolicy(ctx, &awsiam.TagPolicyInput{PolicyArn: aws.String("arn:aws:iam::aws:policy/ReadOnlyAccess"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err == nil {
		t.Error("TagPolicy tagged an AWS managed policy")
	}
}
