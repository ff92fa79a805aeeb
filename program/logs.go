package program

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/studio-redshift/studio-redshift/config"
	"github.com/studio-redshift/studio-redshift/producer"
)

// newProducerLogs is the data account's log bucket, when the stack creates
// something there whose use must be on record: a cluster (its audit log, with
// each query and its user) or a bucket other accounts read (its S3 server
// access log). Nil when it creates neither; existing clusters and buckets
// keep the logging their owners gave them.
func newProducerLogs(ctx *pulumi.Context, cfg *config.Config, provider *aws.Provider) (*producer.LogBucket, error) {
	var clusters []string
	if redshift := cfg.Producer.Redshift; redshift.Create {
		clusters = append(clusters, redshift.ClusterIdentifier)
	}
	buckets := createdDataBuckets(cfg)
	if len(clusters) == 0 && len(buckets) == 0 {
		return nil, nil
	}
	return producer.NewLogBucket(ctx, "producer-logs", &producer.LogBucketArgs{
		Partition:     cfg.Partition(),
		Region:        cfg.Region,
		Account:       cfg.Producer.AccountID,
		Clusters:      clusters,
		SourceBuckets: buckets,
		Protect:       cfg.Protect,
	}, pulumi.Provider(provider))
}

// createdDataBuckets are the producer buckets the program creates for other
// accounts to read.
func createdDataBuckets(cfg *config.Config) []string {
	var buckets []string
	if a := cfg.Athena; a != nil && a.Bucket.Create {
		buckets = append(buckets, a.Bucket.Name)
	}
	if f := cfg.FeatureStore; f != nil && f.Bucket.Create {
		buckets = append(buckets, f.Bucket.Name)
	}
	return buckets
}

// accessLogs is where a data bucket's access logs go: the producer's log
// bucket for a bucket the program creates, nowhere for an existing one.
func accessLogs(logs *producer.LogBucket, bucket config.ProducerBucket) *producer.AccessLogs {
	if !bucket.Create {
		return nil
	}
	return logs.AccessLogsOf(bucket.Name)
}
