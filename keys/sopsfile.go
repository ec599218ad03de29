package keys

// The shapes sops 3.13 decodes .sops.yaml into (sops config/config.go).
// Decoding into the same field types makes seal accept and refuse exactly
// the files sops accepts and refuses; only the fields seal reads are used.

type sopsFile struct {
	CreationRules    []sopsRule     `yaml:"creation_rules"`
	DestinationRules []sopsDestRule `yaml:"destination_rules"`
	Stores           struct {
		JSONBinary struct {
			Indent int `yaml:"indent"`
		} `yaml:"json_binary"`
		JSON struct {
			Indent int `yaml:"indent"`
		} `yaml:"json"`
		YAML struct {
			Indent int `yaml:"indent"`
		} `yaml:"yaml"`
	} `yaml:"stores"`
}

type sopsDestRule struct {
	PathRegex        string   `yaml:"path_regex"`
	S3Bucket         string   `yaml:"s3_bucket"`
	S3Prefix         string   `yaml:"s3_prefix"`
	GCSBucket        string   `yaml:"gcs_bucket"`
	GCSPrefix        string   `yaml:"gcs_prefix"`
	VaultPath        string   `yaml:"vault_path"`
	VaultAddress     string   `yaml:"vault_address"`
	VaultKVMountName string   `yaml:"vault_kv_mount_name"`
	VaultKVVersion   int      `yaml:"vault_kv_version"`
	RecreationRule   sopsRule `yaml:"recreation_rule,omitempty"`
	OmitExtensions   bool     `yaml:"omit_extensions"`
}

type sopsRule struct {
	PathRegex               string         `yaml:"path_regex"`
	KMS                     any            `yaml:"kms"`
	AwsProfile              string         `yaml:"aws_profile"`
	Age                     any            `yaml:"age"`
	PGP                     any            `yaml:"pgp"`
	GCPKMS                  any            `yaml:"gcp_kms"`
	HCKms                   []string       `yaml:"hckms"`
	AzureKeyVault           any            `yaml:"azure_keyvault"`
	VaultURI                any            `yaml:"hc_vault_transit_uri"`
	KeyGroups               []sopsKeyGroup `yaml:"key_groups"`
	ShamirThreshold         int            `yaml:"shamir_threshold"`
	UnencryptedSuffix       string         `yaml:"unencrypted_suffix"`
	EncryptedSuffix         string         `yaml:"encrypted_suffix"`
	UnencryptedRegex        string         `yaml:"unencrypted_regex"`
	EncryptedRegex          string         `yaml:"encrypted_regex"`
	UnencryptedCommentRegex string         `yaml:"unencrypted_comment_regex"`
	EncryptedCommentRegex   string         `yaml:"encrypted_comment_regex"`
	MACOnlyEncrypted        bool           `yaml:"mac_only_encrypted"`
}

type sopsKeyGroup struct {
	Merge []sopsKeyGroup `yaml:"merge"`
	KMS   []struct {
		Arn        string             `yaml:"arn"`
		Role       string             `yaml:"role,omitempty"`
		Context    map[string]*string `yaml:"context"`
		AwsProfile string             `yaml:"aws_profile"`
	} `yaml:"kms"`
	GCPKMS []struct {
		ResourceID string `yaml:"resource_id"`
	} `yaml:"gcp_kms"`
	HCKms []struct {
		KeyID string `yaml:"key_id"`
	} `yaml:"hckms"`
	AzureKV []struct {
		VaultURL string `yaml:"vaultUrl"`
		Key      string `yaml:"key"`
		Version  string `yaml:"version"`
	} `yaml:"azure_keyvault"`
	Vault []string `yaml:"hc_vault"`
	Age   []string `yaml:"age"`
	PGP   []string `yaml:"pgp"`
}
