package policy

import (
	"fmt"
	"strings"
)

// Partition returns the ARN partition of a region: aws-cn for the China
// regions, aws-us-gov for GovCloud, the aws-iso partitions for the isolated
// regions, aws elsewhere.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-isof-"):
		return "aws-iso-f"
	case strings.HasPrefix(region, "eu-isoe-"):
		return "aws-iso-e"
	default:
		return "aws"
	}
}

// dnsSuffixes are the domain names of the partitions' service endpoints
// (AWS General Reference, "AWS service endpoints"; the China regions'
// endpoints end in .com.cn).
var dnsSuffixes = map[string]string{
	"aws":        "amazonaws.com",
	"aws-cn":     "amazonaws.com.cn",
	"aws-us-gov": "amazonaws.com",
}

// DNSSuffix is the domain name of a partition's service endpoints, empty for
// a partition the program does not know (configuration refuses those).
func DNSSuffix(partition string) string {
	return dnsSuffixes[partition]
}

// RegionalEndpoint is the host name of a service's endpoint in a region,
// such as sts.us-east-1.amazonaws.com: what kms:ViaService names and what
// a client in a VPC without internet must call.
func RegionalEndpoint(service, region string) string {
	return service + "." + region + "." + DNSSuffix(Partition(region))
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
