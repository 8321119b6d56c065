//! The inspection report of one blob: what `ffce inspect` prints and `ffce get` shows
//! when it downloads a backup without `-o`.
//!
//! Without a key the report holds every header field and every structural problem
//! (`ffce_core::inspect` lists them all, not only the first). With a key it also says
//! whether the blob authenticates and, if it does, the plaintext's SHA-256 and a
//! value-free summary of its content (`ffce_core::content`).
//!
//! Two lists, two meanings:
//! - `errors`: the blob is not a valid, authentic FFCE v1 blob (structure, or with a key
//!   authentication). Any error makes `valid` false and the command exit 4.
//! - `warnings`: the blob is valid FFCE but the cloud would refuse it as a backup body
//!   (`too_large` over 524,288 bytes, `empty`; docs/SPEC.md §3). FFCE also serves on-device
//!   config files, which have no such limit, so these do not fail the command.
//!
//! Two more things the report says, because a report that only says "valid" misleads:
//! - What was checked: the structure always, authentication only with a key (without
//!   one, `authenticated` is "not checked", never "yes").
//! - What the device will make of it (`device_warnings`, `ffce_core::firmware`): a
//!   plaintext it would cut at a NUL byte or not restore (not UTF-8 JSON), and an
//!   empty blob, whose tag the firmware never checks.
//!
//! An input that is not a blob at all but looks like something else (the JSON
//! plaintext, a base64 or hex copy of a blob, an empty file; `ffce_core::format::recognise`)
//! is reported as what it looks like, without header fields read from it.

use ffce_core::content::Unrestorable;
use ffce_core::firmware;
// The header's field offsets (docs/SPEC.md §1) show whichever fields a short input still has.
use ffce_core::{
    Error, Key, Purpose,
    format::{HeaderFields, Lookalike, NONCE_LEN, TAG_LEN},
    keys::KeyOrigin,
    upload::UploadError,
};
use sha2::{Digest, Sha256};

use crate::exit::{CliError, Failure};
use crate::keys::LoadedKey;
use crate::ui::Ui;
use ffce_core::content::{self, ContentSummary};

mod explain;

use explain::other_purpose;
pub use explain::{key_hint, lookalike_message, open_error, open_error_derived, purpose_hint};

/// One problem, with the stable code of [`ffce_core::Error::code`] and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Machine-readable code, e.g. `length_mismatch`.
    pub code: &'static str,
    /// One line for people.
    pub message: String,
}

impl Problem {
    fn from_error(e: &Error) -> Problem {
        Problem {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// What the key said about the blob.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyCheck {
    /// Where the key came from (derived for a purpose, or imported as is).
    pub origin: KeyOrigin,
    /// Which flag and file, or which environment variable, held it (if the caller says).
    pub source: Option<String>,
    /// True when the tag verified. False when it did not, or when the blob is too
    /// malformed to try (then `errors` says why).
    pub authenticated: bool,
    /// SHA-256 of the plaintext, when authenticated.
    pub plaintext_sha256: Option<[u8; 32]>,
    /// A value-free summary of the plaintext, when authenticated.
    pub content: Option<ContentSummary>,
    /// When the key did not open the blob but the same master secret's key for another
    /// purpose does: that purpose ([`Report::with_key_hints`]).
    pub opens_with: Option<Purpose>,
    /// When the key did not open the blob: which key the user's bytes give that does
    /// ([`key_hint`]), in words.
    pub hint: Option<String>,
}

/// What the device would do with the blob or its plaintext that the user should know.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceWarning {
    /// Machine-readable code: `nul_byte`, `not_utf8`, `not_json`, `empty_plaintext`,
    /// `not_an_object`, `not_dexie`, `no_data` (from
    /// [`Unrestorable::code`]) or `empty_blob_unchecked`.
    pub code: &'static str,
    /// One line for people.
    pub message: String,
    /// The byte offset in the plaintext, for `nul_byte` and `not_utf8`.
    pub offset: Option<usize>,
}

impl DeviceWarning {
    fn restore(p: &Unrestorable) -> DeviceWarning {
        DeviceWarning {
            code: p.code(),
            message: format!("{p}; the device will not restore it as it is"),
            offset: p.offset(),
        }
    }
}

/// The one verdict on a plaintext opened with `key`, wherever ffce has one in hand
/// (inspect, get, decrypt, put, encrypt, api post, restore; the audit applies the same
/// function in ffce-store): for a backup, everything that makes the controller refuse
/// it ([`content::restore_verdict`]: empty, a NUL byte, not UTF-8 JSON, not a Dexie
/// export). A key derived for `configfs` opens on-device config files,
/// which are not Dexie exports: only the firmware's reading applies to them.
pub fn content_verdict(plaintext: &[u8], key: &Key) -> Vec<Unrestorable> {
    if key.origin() == KeyOrigin::Derived(Purpose::ConfigFs) {
        return firmware::restore_problems(plaintext)
            .into_iter()
            .map(Unrestorable::Firmware)
            .collect();
    }
    content::restore_verdict(plaintext)
}

/// Where ffce writes a backup from a plaintext in hand (`put`, `encrypt`, `api post`,
/// `restore`): a plaintext the controller would not restore ([`content_verdict`]) is
/// refused (exit 4, naming every reason) unless `force`, which goes ahead with a
/// warning that `-q` does not hide. `refused` ends the refusal ("nothing was
/// uploaded"), `anyway` the warning ("uploading it anyway").
pub fn refuse_unrestorable(
    ui: &Ui,
    source: &str,
    plaintext: &[u8],
    key: &Key,
    force: bool,
    refused: &str,
    anyway: &str,
) -> Result<(), CliError> {
    let problems = content_verdict(plaintext, key);
    if problems.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = problems.iter().map(ToString::to_string).collect();
    let what = format!(
        "{source}: the device will not restore this backup: {}",
        reasons.join("; ")
    );
    if !force {
        return Err(CliError::integrity(format!(
            "{what}; {refused} (pass --force to write it anyway)"
        )));
    }
    // The user overrode a safety check: say so even with -q.
    eprintln!(
        "{} {what}; {anyway} (--force)",
        ui.paint(crate::output::Style::Warn, "warning:")
    );
    Ok(())
}

/// Everything known about one blob.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Where the blob came from (a path, an object key), if the caller says.
    pub source: Option<String>,
    /// Length of the whole input.
    pub blob_len: usize,
    /// Magic bytes, if the input has at least 4 bytes.
    pub magic: Option<[u8; 4]>,
    /// Version byte, if present.
    pub version: Option<u8>,
    /// Nonce, if all 12 bytes are present.
    pub nonce: Option<[u8; NONCE_LEN]>,
    /// Declared plaintext length, if all 4 bytes are present.
    pub plaintext_len: Option<u32>,
    /// Tag, if the whole header is present.
    pub tag: Option<[u8; TAG_LEN]>,
    /// Structural problems, then (with a key) `authentication_failed`.
    pub errors: Vec<Problem>,
    /// Cloud upload problems of an otherwise valid blob (`too_large`, `empty`).
    pub warnings: Vec<Problem>,
    /// True when the cloud would accept this body (`ffce_core::upload::validate_upload`).
    pub uploadable: bool,
    /// Present when a key was given.
    pub key: Option<KeyCheck>,
    /// True when the structure is valid (whatever the key said).
    pub structure_valid: bool,
    /// What the input looks like when it is not a blob at all (then the header fields
    /// are `None`: they would be nonsense).
    pub looks_like: Option<Lookalike>,
    /// What the device would make of it.
    pub device_warnings: Vec<DeviceWarning>,
}

/// Inspects `blob`; with a key, also authenticates it and summarises the plaintext.
/// Never fails and never panics: every problem is in the report.
pub fn build_report(blob: &[u8], key: Option<&Key>) -> Report {
    let inspection = ffce_core::inspect(blob);
    let looks_like = ffce_core::format::recognise(blob);
    let mut errors: Vec<Problem> = inspection
        .problems
        .iter()
        .map(Problem::from_error)
        // For a lookalike only the first problem (too short, bad magic) is true; the
        // rest would come from reading its bytes as header fields.
        .take(if looks_like.is_some() { 1 } else { usize::MAX })
        .collect();
    let mut device_warnings = Vec::new();
    let mut warnings = Vec::new();
    let uploadable = match ffce_core::upload::validate_upload(blob) {
        Ok(_) => true,
        Err(e @ (UploadError::TooLarge { .. } | UploadError::Empty)) => {
            let why = match e {
                UploadError::Empty => "the cloud refuses an empty body",
                _ => "the cloud refuses it as a backup",
            };
            let configfs = match e {
                UploadError::Empty => "",
                _ => "; fine for a configfs file",
            };
            warnings.push(Problem {
                code: e.code(),
                message: format!(
                    "{}; {why} (HTTP {}){configfs}",
                    Error::from(e),
                    e.http_status()
                ),
            });
            false
        }
        // Structural problems are already errors of the report.
        Err(
            UploadError::BadMagic { .. }
            | UploadError::TooShort { .. }
            | UploadError::UnsupportedVersion { .. }
            | UploadError::LengthMismatch { .. },
        ) => false,
    };
    let key = key.map(|key| {
        let mut check = KeyCheck {
            origin: key.origin(),
            source: None,
            authenticated: false,
            plaintext_sha256: None,
            content: None,
            opens_with: None,
            hint: None,
        };
        if inspection.is_valid() {
            match key.open(blob) {
                Ok(plaintext) => {
                    check.authenticated = true;
                    check.plaintext_sha256 = Some(Sha256::digest(&*plaintext).into());
                    check.content = Some(content::summarise(&plaintext));
                    device_warnings.extend(
                        content_verdict(&plaintext, key)
                            .iter()
                            .map(DeviceWarning::restore),
                    );
                    // `plaintext` is wiped as it drops here.
                }
                Err(e) => errors.push(Problem::from_error(&e)),
            }
        }
        check
    });
    let authentic = key.as_ref().is_some_and(|k| k.authenticated);
    if let Some(header) = inspection.header.as_ref().filter(|_| inspection.is_valid()) {
        if firmware::skips_tag_check(header) && !authentic {
            device_warnings.push(DeviceWarning {
                code: "empty_blob_unchecked",
                message: if key.is_some() {
                    "the device firmware does not check the tag of an empty blob: it would \
                     accept this one although it does not authenticate"
                } else {
                    "the device firmware does not check the tag of an empty blob: it would \
                     accept this one unchecked; give a key to authenticate it"
                }
                .into(),
                offset: None,
            });
        }
    }
    // The header's fields as far as the bytes reach; none of an input that is no blob.
    let fields = HeaderFields::read(blob);
    let header_field = looks_like.is_none();
    Report {
        source: None,
        blob_len: blob.len(),
        magic: fields.magic.filter(|_| header_field),
        version: fields.version.filter(|_| header_field),
        nonce: fields.nonce.filter(|_| header_field),
        plaintext_len: fields.plaintext_len.filter(|_| header_field),
        tag: fields.tag.filter(|_| header_field),
        errors,
        warnings,
        uploadable,
        key,
        structure_valid: inspection.is_valid(),
        looks_like,
        device_warnings,
    }
}

/// Warns on stderr about every reason the device would not restore `plaintext`
/// opened with `key` ([`content_verdict`]; `decrypt`, `get --decrypt`); the output is
/// still written, it is authentic.
pub fn warn_restore_problems(ui: &Ui, source: &str, plaintext: &[u8], key: &Key) {
    for p in content_verdict(plaintext, key) {
        ui.warn(format!("{source}: {}", DeviceWarning::restore(&p).message));
    }
}

/// The message of a stored object over the cloud's limit at a backup's key: the same
/// words as `audit`'s `too_large` (the format's own), then what follows for a backup.
pub fn too_large_backup(len: usize) -> Option<String> {
    match ffce_core::upload::validate_upload_len(len) {
        Err(e @ UploadError::TooLarge { .. }) => Some(format!(
            "{}: too large to be a backup (the cloud refuses it, HTTP {})",
            Error::from(e),
            e.http_status()
        )),
        _ => None,
    }
}

/// The `N` bytes at `at`, if all present.
impl Report {
    /// For an object read from a backup's key (`get`, `api get`): a blob over the
    /// cloud's limit is not a backup, so `too_large` is an error (exit 4), as `audit`
    /// judges it, not the warning a file gets (which may be a configfs file, that has
    /// no limit). docs/SPEC.md §3.
    pub fn judged_as_stored_backup(mut self) -> Report {
        if let Some(i) = self.warnings.iter().position(|w| w.code == "too_large") {
            let mut problem = self.warnings.remove(i);
            if let Some(message) = too_large_backup(self.blob_len) {
                problem.message = message;
            }
            self.errors.push(problem);
        }
        self
    }

    /// `--key-dir DIR` held no device key that opens the blob: a key was given (the
    /// folder) and authentication failed, in those words. The structure's own errors,
    /// if any, already say why no key could open it.
    pub fn with_no_key_dir_opener(mut self, dir: &std::path::Path, purpose: Purpose) -> Report {
        if self.key.is_some() {
            return self;
        }
        self.key = Some(KeyCheck {
            origin: KeyOrigin::Derived(purpose),
            source: Some(format!("--key-dir {}", dir.display())),
            authenticated: false,
            plaintext_sha256: None,
            content: None,
            opens_with: None,
            hint: None,
        });
        if self.structure_valid {
            self.errors.push(Problem {
                code: "authentication_failed",
                message: format!(
                    "authentication failed: no device key in --key-dir {} opens it",
                    dir.display()
                ),
            });
        }
        self
    }

    /// Sets where the blob came from (shown first in both outputs).
    pub fn with_source(mut self, source: impl Into<String>) -> Report {
        self.source = Some(source.into());
        self
    }

    /// Sets where the key came from (a flag and file, or a variable); a report without
    /// a key ignores it.
    pub fn with_key_source(mut self, source: Option<impl ToString>) -> Report {
        if let (Some(key), Some(source)) = (&mut self.key, source) {
            key.source = Some(source.to_string());
        }
        self
    }

    /// With the key as loaded: when authentication failed, tries the keys the user's
    /// bytes also give ([`key_hint`]: the master secret's other purpose, the file read
    /// as the other kind of key) and, if one opens the blob, says so in the error, in
    /// [`KeyCheck::hint`] and (for a purpose) in [`KeyCheck::opens_with`].
    pub fn with_key_hints(mut self, blob: &[u8], key: Option<&LoadedKey>) -> Report {
        let (Some(check), Some(key)) = (&mut self.key, key) else {
            return self;
        };
        let Some(auth) = self
            .errors
            .iter_mut()
            .find(|e| e.code == "authentication_failed")
        else {
            return self;
        };
        let Some(hint) = key_hint(blob, key) else {
            return self;
        };
        check.opens_with = other_purpose(blob, check.origin, key.master.as_ref());
        let used = match check.origin {
            KeyOrigin::Derived(p) => p.name(),
            KeyOrigin::Imported => "given",
        };
        auth.message = format!("authentication failed with the {used} key; {hint}");
        check.hint = Some(hint);
        self
    }

    /// True when there are no errors: structurally valid and, with a key, authentic.
    /// Without a key this says nothing about authenticity: see `authenticated`.
    pub fn valid(&self) -> bool {
        self.errors.is_empty()
    }

    /// How a command should fail for this report: any error is an integrity failure
    /// (exit 4); warnings alone are not a failure.
    pub fn failure(&self) -> Option<Failure> {
        (!self.valid()).then_some(Failure::Integrity)
    }

    /// The command's error for an invalid report (exit 4), naming what the input looks
    /// like or the purpose that opens it when known; `None` when valid.
    pub fn error(&self) -> Option<CliError> {
        let failure = self.failure()?;
        let source = self.source.as_deref().unwrap_or("input");
        let too_large = self.errors.iter().find(|e| e.code == "too_large");
        if let Some(p) = too_large.filter(|_| self.structure_valid) {
            return Some(CliError::new(failure, format!("{source}: {}", p.message)));
        }
        let message = match (
            self.looks_like,
            self.key.as_ref().and_then(|k| k.opens_with),
        ) {
            (Some(l), _) => format!("{source}: {}", lookalike_message(l)),
            (None, Some(p)) => format!(
                "{source}: not a valid FFCE blob (authentication_failed); {}",
                purpose_hint(p)
            ),
            (None, None) if self.key.as_ref().is_some_and(|k| k.hint.is_some()) => format!(
                "{source}: not a valid FFCE blob (authentication_failed); {}",
                self.key
                    .as_ref()
                    .and_then(|k| k.hint.as_deref())
                    .unwrap_or("")
            ),
            (None, None) => format!(
                "{source}: not a valid FFCE blob ({})",
                self.errors.first().map_or("invalid", |e| e.code)
            ),
        };
        Some(CliError::new(failure, message))
    }

    /// Warns on stderr about each of [`Report::device_warnings`], naming the source.
    pub fn warn_device(&self, ui: &Ui) {
        for w in &self.device_warnings {
            let source = self.source.as_deref().unwrap_or("input");
            ui.warn(format!("{source}: {}", w.message));
        }
    }

    /// `verified`, `failed` or `not_checked`.
    pub fn authentication(&self) -> &'static str {
        match &self.key {
            Some(k) if k.authenticated => "verified",
            Some(_)
                if self
                    .errors
                    .iter()
                    .any(|e| e.code == "authentication_failed") =>
            {
                "failed"
            }
            _ => "not_checked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ffce_core::{MasterSecret, Purpose};

    fn key() -> Key {
        MasterSecret::from_bytes([0x11; 32]).derive(Purpose::Backup)
    }

    const EXPORT: &[u8] = br#"{"formatName":"dexie","formatVersion":1,"data":{
        "databaseName":"FireFly-Controller","databaseVersion":1,"tables":[],"data":[]}}"#;

    #[test]
    fn wrong_key_is_an_error() {
        let blob = key().seal(b"x").unwrap();
        let other = Key::from_bytes(&[9; 32]);
        let r = build_report(&blob, Some(&other));
        assert_eq!(r.errors[0].code, "authentication_failed");
        assert_eq!(r.failure(), Some(Failure::Integrity));
        assert!(r.key.as_ref().unwrap().plaintext_sha256.is_none());
    }

    #[test]
    fn short_input_shows_the_fields_it_has() {
        let blob = key().seal(b"x").unwrap();
        let r = build_report(&blob[..20], Some(&key()));
        assert_eq!(r.magic, Some(*b"FFCE"));
        assert_eq!(r.version, Some(1));
        assert!(r.nonce.is_some());
        assert_eq!(r.plaintext_len, None);
        assert_eq!(r.tag, None);
        assert_eq!(r.errors.len(), 1);
        assert!(!r.key.as_ref().unwrap().authenticated);
        let empty = build_report(b"", None);
        assert_eq!(empty.warnings[0].code, "empty");
        assert_eq!(empty.magic, None);
    }

    fn loaded(flag: &'static str) -> LoadedKey {
        let source = crate::keys::KeySource::File {
            flag,
            path: "k.key".into(),
        };
        LoadedKey::new(&[0x11; 32], source, Purpose::Backup)
    }

    #[test]
    fn the_other_purpose_is_named_only_with_the_master_secret() {
        let master = MasterSecret::from_bytes([0x11; 32]);
        let blob = master.derive(Purpose::ConfigFs).seal(b"{}").unwrap();
        let key = loaded("--master-key-file");
        let r = build_report(&blob, Some(&key.key)).with_key_hints(&blob, Some(&key));
        assert_eq!(r.key.as_ref().unwrap().opens_with, Some(Purpose::ConfigFs));
        assert!(
            r.errors[0].message.contains("use --purpose configfs"),
            "{r:?}"
        );
        let r = build_report(&blob, Some(&key.key)).with_key_hints(&blob, None);
        assert_eq!(r.key.as_ref().unwrap().opens_with, None);
        let e = open_error(Error::AuthenticationFailed, &blob, &key);
        assert!(e.message.contains("on-device config file"), "{}", e.message);
        assert_eq!(e.failure, Failure::Integrity);
    }

    #[test]
    fn a_key_file_read_the_other_way_is_named() {
        let master = MasterSecret::from_bytes([0x11; 32]);
        // A master secret given as --key-file.
        let backup = master.derive(Purpose::Backup).seal(b"{}").unwrap();
        let as_key = loaded("--key-file");
        let r = build_report(&backup, Some(&as_key.key)).with_key_hints(&backup, Some(&as_key));
        let hint = r.key.as_ref().unwrap().hint.clone().unwrap();
        assert!(
            hint.contains("use --master-key-file k.key instead"),
            "{hint}"
        );
        assert!(r.error().unwrap().message.contains(&hint));
        // A derived key given as --master-key-file.
        let sealed = Key::from_bytes(&[0x11; 32]).seal(b"{}").unwrap();
        let as_master = loaded("--master-key-file");
        let e = open_error(Error::AuthenticationFailed, &sealed, &as_master);
        assert!(e.message.contains("use --key-file k.key"), "{}", e.message);
        // Neither opens it: no hint.
        let other = Key::from_bytes(&[0x22; 32]).seal(b"{}").unwrap();
        assert_eq!(key_hint(&other, &as_master), None);
        assert_eq!(key_hint(&other, &as_key), None);
    }

    #[test]
    fn lookalikes_have_no_header_fields() {
        let r = build_report(br#"{"formatName":"dexie"}"#, Some(&key()));
        assert_eq!(r.looks_like, Some(Lookalike::Json));
        assert_eq!((r.magic, r.version, r.nonce), (None, None, None));
        assert_eq!(r.errors.len(), 1, "only the first, true problem: {r:?}");
        assert!(r.error().unwrap().message.contains("ffce encrypt"));
    }

    #[test]
    fn device_warnings() {
        let blob = key().seal(b"{}\0").unwrap();
        let r = build_report(&blob, Some(&key()));
        assert!(r.valid());
        assert_eq!(r.device_warnings[0].code, "nul_byte");
        assert_eq!(r.device_warnings[0].offset, Some(2));
        let empty = key().seal(b"").unwrap();
        let r = build_report(&empty, None);
        assert_eq!(r.device_warnings[0].code, "empty_blob_unchecked");
        let r = build_report(&empty, Some(&key()));
        assert_eq!(r.device_warnings[0].code, "empty_plaintext");
        let fine = key().seal(EXPORT).unwrap();
        assert_eq!(build_report(&fine, Some(&key())).device_warnings, []);
        // JSON, but not a Dexie export: the controller's app refuses it.
        let json = key().seal(b"[1]").unwrap();
        assert_eq!(
            build_report(&json, Some(&key())).device_warnings[0].code,
            "not_an_object"
        );
        // A configfs file is no export: only the firmware's reading applies.
        let configfs = MasterSecret::from_bytes([0x11; 32]).derive(Purpose::ConfigFs);
        let file = configfs.seal(b"[1]").unwrap();
        assert_eq!(build_report(&file, Some(&configfs)).device_warnings, []);
        assert_eq!(build_report(&fine, None).device_warnings, []);
    }

    #[test]
    fn oversize_is_a_warning_not_an_error() {
        let blob = key()
            .seal(&vec![0u8; ffce_core::upload::MAX_BLOB_LEN])
            .unwrap();
        let r = build_report(&blob, None);
        assert!(r.valid());
        assert!(!r.uploadable);
        assert_eq!(r.warnings[0].code, "too_large");
    }
}
