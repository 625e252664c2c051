// Package sdktest builds the AWS SDK configuration that tests call a sandbox (or one of its
// handlers behind a test server) with: a fixed endpoint and region and static keys, nothing
// read from the environment (no profile, no env keys, no shared config files).
package sdktest

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// Config is an aws.Config for endpoint in region, signed with the static keys keyID, secret
// and (for a session, else "") token. Callers set retries and the like on the result.
func Config(endpoint, region, keyID, secret, token string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint: aws.String(endpoint),
	}
}
