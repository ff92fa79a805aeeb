package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStudioTeamDefaults(t *testing.T) {
	cfg, err := Parse(encode(t, validRaw()))
	require.NoError(t, err)
	s := cfg.Consumer.Studio
	assert.Equal(t, DefaultIdleTimeoutMinutes, s.IdleTimeoutMinutes)
	assert.Equal(t, DefaultInstanceTypes, s.InstanceTypes)
	assert.Equal(t, DefaultSpaceStorageGb, s.SpaceStorageGb)
	for _, name := range DefaultInstanceTypes {
		assert.Contains(t, StudioInstanceTypes, name, "a default is a Studio instance type")
		assert.NotContains(t, HiddenInstanceTypes(s.InstanceTypes), name)
	}
	assert.Contains(t, HiddenInstanceTypes(s.InstanceTypes), "ml.p4d.24xlarge")
	assert.Len(t, HiddenInstanceTypes(s.InstanceTypes), len(StudioInstanceTypes)-len(DefaultInstanceTypes))
}

func TestStudioTeamAccepts(t *testing.T) {
	raw := validRaw()
	set(raw, "consumer.studio.idleTimeoutMinutes", MaxIdleTimeoutMinutes)
	set(raw, "consumer.studio.instanceTypes", []any{"ml.g5.xlarge", "ml.t3.medium"})
	set(raw, "consumer.studio.spaceStorageGb", MinSpaceStorageGb)
	cfg, err := Parse(encode(t, raw))
	require.NoError(t, err)
	assert.Equal(t, MaxIdleTimeoutMinutes, cfg.Consumer.Studio.IdleTimeoutMinutes)
	assert.Equal(t, []string{"ml.g5.xlarge", "ml.t3.medium"}, cfg.Consumer.Studio.InstanceTypes)
	assert.Equal(t, MinSpaceStorageGb, cfg.Consumer.Studio.SpaceStorageGb)
}

func TestStudioTeamRejects(t *testing.T) {
	tests := []struct {
		name      string
		path      string
		value     any
		key, want string
	}{
		{"idle timeout 0", "consumer.studio.idleTimeoutMinutes", 0, "consumer.studio.idleTimeoutMinutes", "0 is out of range; AWS shuts idle apps down after 60 to 525600 minutes"},
		{"idle timeout below AWS's least", "consumer.studio.idleTimeoutMinutes", 59, "consumer.studio.idleTimeoutMinutes", "59 is out of range"},
		{"idle timeout over a year", "consumer.studio.idleTimeoutMinutes", 525601, "consumer.studio.idleTimeoutMinutes", "525601 is out of range"},
		{"idle timeout not a number", "consumer.studio.idleTimeoutMinutes", "an hour", "consumer.studio.idleTimeoutMinutes", "expected"},
		{"space storage 0", "consumer.studio.spaceStorageGb", 0, "consumer.studio.spaceStorageGb", "0 is out of range; a space's EBS volume is 5 to 16384 GB"},
		{"space storage below 5 GB", "consumer.studio.spaceStorageGb", 4, "consumer.studio.spaceStorageGb", "4 is out of range"},
		{"space storage over 16 TB", "consumer.studio.spaceStorageGb", 16385, "consumer.studio.spaceStorageGb", "16385 is out of range"},
		{"no instance types", "consumer.studio.instanceTypes", []any{}, "consumer.studio.instanceTypes", "needs at least one instance type"},
		{"unknown instance type", "consumer.studio.instanceTypes", []any{"ml.t3.medium", "ml.t3.huge"}, "consumer.studio.instanceTypes[1]",
			`"ml.t3.huge" is not an instance type Studio's JupyterLab and Code Editor run on; this family has ml.t3.medium`},
		{"EC2 name without ml.", "consumer.studio.instanceTypes", []any{"t3.medium"}, "consumer.studio.instanceTypes[0]", "use a name such as ml.t3.medium"},
		{"Studio Classic's system instance", "consumer.studio.instanceTypes", []any{"system"}, "consumer.studio.instanceTypes[0]", "not an instance type"},
		{"an instance type twice", "consumer.studio.instanceTypes", []any{"ml.t3.medium", "ml.m5.large", "ml.t3.medium"}, "consumer.studio.instanceTypes[2]", "listed twice"},
		{"the program's own tag", "tags", map[string]any{"studio-user": "alice"}, "tags.studio-user", "the tag the program gives each user profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := validRaw()
			if tt.path == "tags" {
				raw["tags"] = tt.value
			} else {
				set(raw, tt.path, tt.value)
			}
			_, err := Parse(encode(t, raw))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.key+": ")
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestUserDataBucketName(t *testing.T) {
	cfg, err := Parse(encode(t, validRaw()))
	require.NoError(t, err)
	name := cfg.UserDataBucket()
	assert.Regexp(t, `^studio-users-[0-9a-f]{8}-222222222222-us-east-1$`, name)
	assert.NotContains(t, name, "sagemaker", "AmazonSageMakerFullAccess opens every *sagemaker* bucket")

	raw := validRaw()
	set(raw, "consumer.studio.domainName", "Analytics-Studio-With-A-Name-Of-Forty-Three")
	set(raw, "region", "ap-southeast-2")
	long, err := Parse(encode(t, raw))
	require.NoError(t, err)
	assert.LessOrEqual(t, len(long.UserDataBucket()), 63, "S3 bucket names are at most 63 characters")
	assert.Regexp(t, `^[a-z0-9][a-z0-9-]*[a-z0-9]$`, long.UserDataBucket())
	assert.NotEqual(t, name, long.UserDataBucket())
}
