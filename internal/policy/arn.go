package policy

import (
	"fmt"
	"strings"
)

// Partition returns the ARN partition of a region: aws-cn for the China
// regions, aws-us-gov for GovCloud, aws elsewhere.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}

// ARN formats an Amazon Resource Name. Region is empty for global services
// such as IAM.
func ARN(partition, service, region, account, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", partition, service, region, account, resource)
}

// ManagedPolicy is the ARN of an AWS managed IAM policy.
func ManagedPolicy(partition, name string) string {
	return ARN(partition, "iam", "", "aws", "policy/"+name)
}
