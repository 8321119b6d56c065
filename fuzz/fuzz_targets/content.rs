//! The content of a plaintext (docs/SPEC.md §4) on arbitrary bytes: the summariser
//! (`ffce_core::content::summarise`, then its problems and JSON), and the export model
//! (`content::parse`, `Export::new`, `diff`, the redacted view) that `ffce show` and
//! `ffce diff` use.
//!
//! Never panics, and the documented bounds hold: sizes are the input's, at most 256 keys
//! or tables are listed (the rest counted), names are at most 80 characters plus `…` and
//! hold no control characters; an export has no differences from itself.
#![no_main]

use ffce_core::content::{self, ContentSummary, Export, JsonShape, Redacted, summarise};
use libfuzzer_sys::fuzz_target;

const MAX_LISTED: usize = 256;
const MAX_NAME_CHARS: usize = 80;

fn check_name(name: &str) {
    assert!(
        name.chars().count() <= MAX_NAME_CHARS + 1,
        "name too long: {name:?}"
    );
    assert!(
        !name.chars().any(char::is_control),
        "control character in name {name:?}"
    );
}

fuzz_target!(|data: &[u8]| {
    let summary = summarise(data);
    assert_eq!(summary, summarise(data), "summarise is not deterministic");

    match &summary {
        ContentSummary::Empty { size } => {
            assert!(data.is_empty());
            assert_eq!(*size, 0);
        }
        ContentSummary::Binary { size } | ContentSummary::Text { size, .. } => {
            assert_eq!(*size, data.len())
        }
        ContentSummary::Json(j) => {
            assert_eq!(j.size, data.len());
            if let JsonShape::Object { key_count, keys } = &j.shape {
                assert!(keys.len() <= MAX_LISTED);
                assert!(keys.len() <= *key_count);
                for k in keys {
                    check_name(&k.name);
                }
            }
        }
        ContentSummary::Dexie(d) => {
            assert_eq!(d.size, data.len());
            assert!(d.tables.len() <= MAX_LISTED);
            assert_eq!(d.table_count, d.tables.len() + d.tables_omitted);
            for t in &d.tables {
                check_name(&t.name);
            }
            if let Some(name) = &d.database_name {
                check_name(name);
            }
        }
    }

    let _ = summary.problems();
    let json = serde_json::to_string(&summary).expect("a summary serialises");
    assert!(!json.is_empty());

    if let Ok(doc) = content::parse(data) {
        let _ = serde_json::to_string(&Redacted(&doc)).expect("a value serialises");
        if let Ok(export) = Export::new(&doc) {
            let d = content::diff(&export, &export);
            assert!(d.is_empty(), "an export differs from itself");
            let _ = serde_json::to_string(&export.view(|_| true, false)).expect("a view serialises");
            for problem in &export.problems {
                let text = problem.to_string();
                assert!(!text.chars().any(char::is_control), "control character in {text:?}");
            }
        }
    }
});
