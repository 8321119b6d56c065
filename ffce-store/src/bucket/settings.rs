//! A bucket's settings as S3 reports them, and their comparison with the provisioning
//! spec.

use std::fmt;

use aws_sdk_s3::error::ProvideErrorMetadata;

use crate::S3Store;
use crate::error::StoreResult;
use crate::s3::WithinLimit;

/// Default encryption the spec asks for (docs/SPEC.md §5).
pub const EXPECTED_SSE_ALGORITHM: &str = "aws:kms";
/// Versioning status the spec asks for (docs/SPEC.md §5).
pub const EXPECTED_VERSIONING: &str = "Enabled";
/// The four public-access-block settings, as [`Check::setting`] names them.
pub const PUBLIC_ACCESS_BLOCK_SETTINGS: [&str; 4] = [
    "block_public_acls",
    "ignore_public_acls",
    "block_public_policy",
    "restrict_public_buckets",
];

/// A bucket's default encryption rule, as S3 reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefaultEncryption {
    /// `aws:kms`, `AES256`, `aws:kms:dsse`, ...
    pub algorithm: String,
    /// The KMS key, when one is named (none means the AWS-managed `aws/s3` key).
    pub kms_key_id: Option<String>,
    /// Whether an S3 Bucket Key is used.
    pub bucket_key_enabled: Option<bool>,
}

/// The settings [`BucketSettings::compare`] compares with the spec, as S3 reports them.
///
/// ```
/// use ffce_store::bucket::{BucketSettings, DefaultEncryption, SettingValue};
///
/// let settings = BucketSettings {
///     public_access_block: Some([Some(true); 4]),
///     versioning: Some("Suspended".into()),
///     default_encryption: Some(DefaultEncryption {
///         algorithm: "aws:kms".into(),
///         kms_key_id: None,
///         bucket_key_enabled: None,
///     }),
/// };
/// let failing: Vec<_> = settings.compare(None).into_iter().filter(|c| !c.ok).collect();
/// assert_eq!(failing.len(), 1);
/// assert_eq!((failing[0].setting, &failing[0].found), ("versioning", &SettingValue::Text("Suspended".into())));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BucketSettings {
    /// The four public-access-block flags in [`PUBLIC_ACCESS_BLOCK_SETTINGS`] order;
    /// `None` when the bucket has no public-access-block configuration at all (then
    /// S3 applies none of them at the bucket level).
    pub public_access_block: Option<[Option<bool>; 4]>,
    /// `Enabled` or `Suspended`; `None` when versioning was never enabled.
    pub versioning: Option<String>,
    /// The default encryption rule; `None` when the bucket has none.
    pub default_encryption: Option<DefaultEncryption>,
}

/// One setting compared with the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// The setting, e.g. `block_public_acls`, `versioning`, `default_encryption`.
    pub setting: &'static str,
    /// What the spec asks for.
    pub expected: SettingValue,
    /// What the bucket has.
    pub found: SettingValue,
    /// Whether they agree.
    pub ok: bool,
}

/// The value of one bucket setting: a flag, a name (`Enabled`, `aws:kms`, a KMS key),
/// or nothing configured. It serializes as JSON's `true`/`false`, a string or `null`,
/// and displays as the value, or `not set`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettingValue {
    /// A flag (the public-access blocks).
    Flag(bool),
    /// A name.
    Text(String),
    /// The bucket has no such setting.
    NotSet,
}

impl SettingValue {
    fn flag(value: Option<bool>) -> SettingValue {
        value.map_or(SettingValue::NotSet, SettingValue::Flag)
    }

    fn text(value: Option<&str>) -> SettingValue {
        value.map_or(SettingValue::NotSet, |v| SettingValue::Text(v.to_string()))
    }
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Flag(b) => write!(f, "{b}"),
            SettingValue::Text(t) => f.write_str(t),
            SettingValue::NotSet => f.write_str("not set"),
        }
    }
}

impl serde::Serialize for SettingValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            SettingValue::Flag(b) => serializer.serialize_bool(*b),
            SettingValue::Text(t) => serializer.serialize_str(t),
            SettingValue::NotSet => serializer.serialize_none(),
        }
    }
}

impl BucketSettings {
    /// Compares these settings with the provisioning spec, one [`Check`] per setting:
    /// the four public-access-block flags, versioning, default encryption, and the
    /// KMS key when `kms_key_id` is given (an id or alias matches the ARN S3 reports
    /// for it).
    pub fn compare(&self, kms_key_id: Option<&str>) -> Vec<Check> {
        let mut checks = Vec::new();
        for (i, setting) in PUBLIC_ACCESS_BLOCK_SETTINGS.iter().enumerate() {
            let found = self.public_access_block.and_then(|flags| flags[i]);
            checks.push(Check {
                setting,
                expected: SettingValue::Flag(true),
                found: SettingValue::flag(found),
                ok: found == Some(true),
            });
        }
        checks.push(Check {
            setting: "versioning",
            expected: SettingValue::text(Some(EXPECTED_VERSIONING)),
            found: SettingValue::text(self.versioning.as_deref()),
            ok: self.versioning.as_deref() == Some(EXPECTED_VERSIONING),
        });
        let algorithm = self
            .default_encryption
            .as_ref()
            .map(|e| e.algorithm.as_str());
        checks.push(Check {
            setting: "default_encryption",
            expected: SettingValue::text(Some(EXPECTED_SSE_ALGORITHM)),
            found: SettingValue::text(algorithm),
            ok: algorithm == Some(EXPECTED_SSE_ALGORITHM),
        });
        if let Some(want) = kms_key_id {
            let found = self
                .default_encryption
                .as_ref()
                .and_then(|e| e.kms_key_id.as_deref());
            checks.push(Check {
                setting: "kms_key_id",
                expected: SettingValue::text(Some(want)),
                found: SettingValue::text(found),
                ok: found.is_some_and(|f| same_kms_key(f, want)),
            });
        }
        checks
    }
}

/// True when `found` (as S3 reports it: an id, alias or ARN) names `want`.
fn same_kms_key(found: &str, want: &str) -> bool {
    found == want || found.ends_with(&format!("/{want}")) || found.ends_with(&format!(":{want}"))
}

impl S3Store {
    /// The bucket's versioning status as S3 names it (`Enabled`, `Suspended`), `None`
    /// for a bucket whose versioning was never enabled: one GetBucketVersioning.
    pub(crate) async fn versioning_status(&self) -> StoreResult<Option<String>> {
        let url = format!("s3://{}", self.bucket);
        let status = match self
            .client
            .get_bucket_versioning()
            .bucket(&self.bucket)
            .send()
            .within(self)
            .await
        {
            Ok(r) => r.status().map(|s| s.as_str().to_owned()),
            Err(e) => {
                // moto (5.2) answers 200 with the root element
                // `GetBucketVersioningResponse` instead of `VersioningConfiguration`,
                // which the SDK refuses to parse; the status inside is the same.
                let body = e
                    .raw_response()
                    .filter(|r| r.status().as_u16() == 200)
                    .and_then(|r| r.body().bytes())
                    .map(|b| String::from_utf8_lossy(b).into_owned());
                match body {
                    Some(xml) => versioning_status_from_xml(&xml),
                    None => {
                        return Err(self.classify(e, &format!("read the versioning of {url}")));
                    }
                }
            }
        };
        Ok(status)
    }

    /// Reads the settings a conformance check compares. A missing bucket is
    /// [`StoreError::NoBucket`](crate::StoreError::NoBucket).
    pub async fn settings(&self) -> StoreResult<BucketSettings> {
        let url = format!("s3://{}", self.bucket);
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .within(self)
            .await
            .map_err(|e| self.classify_listing(e, || url.clone()))?;

        let public_access_block = match self
            .client
            .get_public_access_block()
            .bucket(&self.bucket)
            .send()
            .within(self)
            .await
        {
            Ok(r) => r.public_access_block_configuration().map(|c| {
                [
                    c.block_public_acls(),
                    c.ignore_public_acls(),
                    c.block_public_policy(),
                    c.restrict_public_buckets(),
                ]
            }),
            Err(e) if e.code() == Some("NoSuchPublicAccessBlockConfiguration") => None,
            Err(e) => {
                return Err(self.classify(e, &format!("read the public access block of {url}")));
            }
        };

        let versioning = self.versioning_status().await?;

        let default_encryption = match self
            .client
            .get_bucket_encryption()
            .bucket(&self.bucket)
            .send()
            .within(self)
            .await
        {
            Ok(r) => r
                .server_side_encryption_configuration()
                .and_then(|c| c.rules().first())
                .and_then(|rule| {
                    let by_default = rule.apply_server_side_encryption_by_default()?;
                    Some(DefaultEncryption {
                        algorithm: by_default.sse_algorithm().as_str().to_owned(),
                        kms_key_id: by_default.kms_master_key_id().map(str::to_owned),
                        bucket_key_enabled: rule.bucket_key_enabled(),
                    })
                }),
            Err(e) if e.code() == Some("ServerSideEncryptionConfigurationNotFoundError") => None,
            Err(e) => {
                return Err(self.classify(e, &format!("read the default encryption of {url}")));
            }
        };

        Ok(BucketSettings {
            public_access_block,
            versioning,
            default_encryption,
        })
    }
}

/// The `<Status>` of a GetBucketVersioning answer the SDK could not parse (see
/// [`S3Store::settings`]); `None` when there is none (versioning never enabled).
fn versioning_status_from_xml(xml: &str) -> Option<String> {
    let start = xml.find("<Status>")? + "<Status>".len();
    let len = xml[start..].find("</Status>")?;
    Some(xml[start..start + len].trim().to_owned()).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conforming() -> BucketSettings {
        BucketSettings {
            public_access_block: Some([Some(true); 4]),
            versioning: Some("Enabled".into()),
            default_encryption: Some(DefaultEncryption {
                algorithm: "aws:kms".into(),
                kms_key_id: Some("arn:aws:kms:eu-west-1:123456789012:key/abcd-1234".into()),
                bucket_key_enabled: Some(true),
            }),
        }
    }

    fn failing(checks: &[Check]) -> Vec<&'static str> {
        checks.iter().filter(|c| !c.ok).map(|c| c.setting).collect()
    }

    #[test]
    fn a_conforming_bucket_passes() {
        let checks = conforming().compare(None);
        assert_eq!(checks.len(), 6);
        assert!(failing(&checks).is_empty());
        assert!(failing(&conforming().compare(Some("abcd-1234"))).is_empty());
        assert_eq!(
            failing(&conforming().compare(Some("other"))),
            vec!["kms_key_id"]
        );
    }

    #[test]
    fn each_deviation_is_named() {
        let mut s = conforming();
        s.public_access_block = Some([Some(true), Some(true), Some(false), Some(true)]);
        assert_eq!(failing(&s.compare(None)), vec!["block_public_policy"]);
        s.public_access_block = None;
        assert_eq!(
            failing(&s.compare(None)),
            PUBLIC_ACCESS_BLOCK_SETTINGS.to_vec()
        );

        let mut s = conforming();
        s.versioning = Some("Suspended".into());
        let checks = s.compare(None);
        assert_eq!(failing(&checks), vec!["versioning"]);
        assert_eq!(checks[4].found, SettingValue::Text("Suspended".into()));
        assert_eq!(checks[4].found.to_string(), "Suspended");
        s.versioning = None;
        assert_eq!(s.compare(None)[4].found, SettingValue::NotSet);
        assert_eq!(s.compare(None)[4].found.to_string(), "not set");

        let mut s = conforming();
        s.default_encryption = Some(DefaultEncryption {
            algorithm: "AES256".into(),
            kms_key_id: None,
            bucket_key_enabled: None,
        });
        assert_eq!(failing(&s.compare(None)), vec!["default_encryption"]);
        s.default_encryption = None;
        let checks = s.compare(Some("k"));
        assert_eq!(failing(&checks), vec!["default_encryption", "kms_key_id"]);
    }

    #[test]
    fn versioning_status_of_an_odd_answer() {
        let moto = "<?xml version=\"1.0\"?>\n<GetBucketVersioningResponse xmlns=\"x\">\
                    <Status>Enabled</Status></GetBucketVersioningResponse>";
        assert_eq!(versioning_status_from_xml(moto).as_deref(), Some("Enabled"));
        assert_eq!(
            versioning_status_from_xml("<GetBucketVersioningResponse xmlns=\"x\"/>"),
            None
        );
    }

    #[test]
    fn kms_key_names() {
        let arn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd";
        assert!(same_kms_key(arn, arn));
        assert!(same_kms_key(arn, "1234abcd"));
        assert!(same_kms_key(
            "arn:aws:kms:us-east-1:123456789012:alias/backups",
            "alias/backups"
        ));
        assert!(!same_kms_key(arn, "34abcd"));
    }
}
