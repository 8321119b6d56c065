//! `ffce show`, `ffce diff` and `ffce versions --content` against the moto S3 server,
//! on devices whose versions are the realistic exports of `fixtures/exports.py`:
//!
//! - DEVICE: v1, v2 (a renamed circuit, an added tag, a removed breaker, the MQTT port,
//!   the WiFi password, an added relay model), v3 (database version 4, a new table
//!   keyed by the compound `[name+area]`);
//! - OTHER: v3, then v3 with its rows and fields reordered (identical content);
//! - DELETED: v1, a delete marker, v2.
//!
//! The versions are written about a second apart (S3 keeps whole seconds), so that a
//! time picks exactly one of them.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::thread::sleep;
use std::time::Duration;

use serde_json::Value;

use crate::common::s3::{Bucket, ffce_endpoint};
use crate::common::*;

const DELETED: &str = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

/// The fixture export `name` (fixtures/exports/).
fn export(name: &str) -> PathBuf {
    fixtures_dir().join("exports").join(name)
}

fn export_json(name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(export(name)).unwrap()).unwrap()
}

/// The secrets the fixtures plant, each of which no output may show unasked.
fn secrets() -> Vec<String> {
    use base64::Engine as _;
    let key_b64 =
        base64::engine::general_purpose::STANDARD.encode(b"FIXTURE-NOT-A-REAL-KEY ".repeat(6));
    vec![
        "fixture-wifi-pass-v1".into(),
        "fixture-wifi-pass-v2".into(),
        "fixture-mqtt-pass".into(),
        "BEGIN PRIVATE KEY".into(),
        key_b64[..24].to_string(),
    ]
}

#[track_caller]
fn assert_no_secrets(what: &str, text: &str) {
    for secret in secrets() {
        assert!(!text.contains(&secret), "{what} shows {secret:?}:\n{text}");
    }
}

/// One version as `ffce versions --json` lists it.
#[derive(Clone, Debug)]
struct Ver {
    id: String,
    at: String,
}

struct Devices {
    bucket: Bucket,
    /// DEVICE's versions, oldest first.
    device: Vec<Ver>,
    /// DELETED's entries, oldest first: v1, the delete marker, v2.
    deleted: Vec<Ver>,
}

/// `ffce ARGS --bucket B` with the fixtures' master secret in FFCE_MASTER_KEY.
fn ffce_key(bucket: &Bucket, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--bucket", &bucket.name]);
    ffce_endpoint(&all, &[("FFCE_MASTER_KEY", MASTER_11)])
}

fn versions_of(bucket: &Bucket, device: &str) -> Vec<Ver> {
    let list = bucket.ffce(&["versions", "--json", device]);
    list.expect_code(0);
    let mut out: Vec<Ver> = list.json()["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Ver {
            id: v["version_id"].as_str().unwrap().to_string(),
            at: v["last_modified"].as_str().unwrap().to_string(),
        })
        .collect();
    out.reverse();
    out
}

/// The three devices, written once for all tests of this module.
fn devices() -> &'static Devices {
    static DEVICES: OnceLock<Devices> = OnceLock::new();
    DEVICES.get_or_init(|| {
        let bucket = Bucket::versioned("content");
        let put = |device: &str, name: &str| {
            ffce_key(&bucket, &["put", "--encrypt", device, s(&export(name))]).expect_code(0);
        };
        put(DEVICE, "device-v1.json");
        put(OTHER, "device-v3.json");
        put(DELETED, "device-v1.json");
        sleep(Duration::from_millis(1100));
        put(DEVICE, "device-v2.json");
        put(OTHER, "device-v3-reordered.json");
        bucket.ffce(&["delete", DELETED]).expect_code(0);
        sleep(Duration::from_millis(1100));
        put(DEVICE, "device-v3.json");
        put(DELETED, "device-v2.json");
        let device = versions_of(&bucket, DEVICE);
        let deleted = versions_of(&bucket, DELETED);
        assert_eq!(device.len(), 3, "{device:?}");
        assert_eq!(deleted.len(), 3, "{deleted:?}");
        assert!(
            device[0].at < device[1].at && device[1].at < device[2].at,
            "{device:?}"
        );
        Devices {
            bucket,
            device,
            deleted,
        }
    })
}

/// The table called `name` of a diff or show document.
fn table<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no table {name} in {doc:#}"))
}

fn keys_of(rows: &Value) -> Vec<Value> {
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].clone())
        .collect()
}

#[test]
fn diff_finds_exactly_the_changes_between_two_versions() {
    let d = devices();
    let (v1, v2) = (&d.device[0].id, &d.device[1].id);
    let run = ffce_key(&d.bucket, &["diff", DEVICE, "--from", v1, "--to", v2]);
    run.expect_code(0);
    let out = run.out();
    let marked: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("+ ") || l.starts_with("- ") || l.starts_with("M "))
        .collect();
    let expected = [
        "+ 5  {\"id\":5,\"name\":\"outdoor\"}",
        "- 4  {\"id\":4,\"name\":\"B4 Deck lights\",\"rating\":10,\"position\":4}",
        "M 3  name: \"Kitchen\" → \"Kitchen lights\"",
        "+ 7  {\"id\":7,\"manufacturer\":\"Custom\",\"model\":\"Latching 30A\"",
        "M \"wifi\"  value.password: changed (a secret; --reveal-secrets shows it)",
        "M \"mqtt\"  value.port: 1883 → 8883",
    ];
    assert_eq!(marked.len(), expected.len(), "{out}");
    for (line, want) in marked.iter().zip(expected) {
        assert!(line.starts_with(want), "{line:?} is not {want:?}:\n{out}");
    }
    for heading in [
        "tags (key id): 4 → 5 rows",
        "breakers (key id): 8 → 7 rows",
        "circuits (key id): 24 → 24 rows",
        "relay_models (key id): 6 → 7 rows",
        "settings (key setting): 8 → 8 rows",
        "5 tables changed: 2 rows added, 1 removed, 3 changed",
    ] {
        assert!(out.contains(heading), "no {heading:?} in:\n{out}");
    }
    assert!(
        out.lines()
            .next()
            .unwrap()
            .starts_with(&format!("--- device {DEVICE} version {v1}"))
    );
    assert_no_secrets("diff", &run.all());
}

#[test]
fn diff_json_is_a_document_of_exactly_those_changes() {
    let d = devices();
    let (v1, v2) = (&d.device[0].id, &d.device[1].id);
    let run = ffce_key(
        &d.bucket,
        &["diff", "--json", DEVICE, "--from", v1, "--to", v2],
    );
    run.expect_code(0);
    let doc = run.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["identical"], false);
    assert_eq!(doc["secrets"], "redacted");
    assert_eq!(doc["from"]["version_id"], v1.as_str());
    assert_eq!(doc["to"]["version_id"], v2.as_str());
    assert_eq!(doc["database"], serde_json::json!({}));
    assert_eq!(
        doc["totals"],
        serde_json::json!({"tables_added": 0, "tables_removed": 0, "tables_changed": 5,
                           "rows_added": 2, "rows_removed": 1, "rows_changed": 3})
    );
    let changed: Vec<&str> = doc["tables"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["status"] != "unchanged")
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        changed,
        ["tags", "breakers", "circuits", "relay_models", "settings"]
    );

    let tags = table(&doc, "tags");
    assert_eq!(keys_of(&tags["rows"]["added"]), [serde_json::json!(5)]);
    assert_eq!(
        tags["rows"]["added"][0]["row"],
        serde_json::json!({"id": 5, "name": "outdoor"})
    );
    let breakers = table(&doc, "breakers");
    assert_eq!(
        keys_of(&breakers["rows"]["removed"]),
        [serde_json::json!(4)]
    );
    assert_eq!(
        (
            breakers["rows_before"].clone(),
            breakers["rows_after"].clone()
        ),
        (8.into(), 7.into())
    );
    let circuits = &table(&doc, "circuits")["rows"]["changed"];
    assert_eq!(
        circuits,
        &serde_json::json!([{"key": 3, "fields": [{"path": "name", "change": "changed",
            "secret": false, "redacted": false, "before": "Kitchen", "after": "Kitchen lights"}]}])
    );
    let relays = table(&doc, "relay_models");
    assert_eq!(relays["primary_key"], "id");
    assert_eq!(relays["rows"]["added"][0]["row"]["model"], "Latching 30A");
    let settings = table(&doc, "settings");
    assert_eq!(settings["primary_key"], "setting");
    assert_eq!(
        settings["rows"]["changed"],
        serde_json::json!([
            {"key": "wifi", "fields": [{"path": "value.password", "change": "changed",
                "secret": true, "redacted": true}]},
            {"key": "mqtt", "fields": [{"path": "value.port", "change": "changed",
                "secret": false, "redacted": false, "before": 1883, "after": 8883}]}
        ])
    );
    assert_no_secrets("diff --json", &run.all());
}

#[test]
fn diff_of_a_device_is_its_latest_against_the_version_before() {
    let d = devices();
    let run = ffce_key(&d.bucket, &["diff", "--json", DEVICE]);
    run.expect_code(0);
    let doc = run.json();
    assert_eq!(doc["from"]["version_id"], d.device[1].id.as_str());
    assert_eq!(doc["to"]["version_id"], d.device[2].id.as_str());
    assert_eq!(doc["to"]["is_latest"], true);
    assert_eq!(
        doc["database"]["version"],
        serde_json::json!({"before": 3, "after": 4})
    );
    let scenes = table(&doc, "scenes");
    assert_eq!(scenes["status"], "added");
    assert_eq!(scenes["primary_key"], "[name+area]");
    assert_eq!(
        keys_of(&scenes["rows"]["added"]),
        [
            serde_json::json!(["Evening", 1]),
            serde_json::json!(["Evening", 5]),
            serde_json::json!(["Night", 1])
        ]
    );
    assert_eq!(doc["totals"]["rows_changed"], 0);
    let human = ffce_key(&d.bucket, &["diff", DEVICE]);
    human.expect_code(0);
    let out = human.out();
    assert!(out.contains("database version: 3 → 4"), "{out}");
    assert!(
        out.contains("+ table scenes (new; key [name+area], 3 rows)"),
        "{out}"
    );
    assert!(out.contains("+ [\"Evening\",1]"), "{out}");
    let stat = ffce_key(&d.bucket, &["diff", "--stat", DEVICE]);
    stat.expect_code(0);
    assert!(
        stat.out()
            .contains("scenes        3        0        0  0 → 3 (new table)"),
        "{}",
        stat.out()
    );
    assert!(!stat.out().contains("Evening"), "{}", stat.out());
}

#[test]
fn from_and_to_by_time_pick_the_version_live_then() {
    let d = devices();
    let [v1, v2, v3] = [&d.device[0], &d.device[1], &d.device[2]];
    let pick = |from: &str, to: Option<&str>| {
        let mut args = vec!["diff", "--json", "--stat", DEVICE, "--from", from];
        if let Some(to) = to {
            args.extend(["--to", to]);
        }
        let run = ffce_key(&d.bucket, &args);
        run.expect_code(0);
        let doc = run.json();
        (
            doc["from"]["version_id"].as_str().unwrap().to_string(),
            doc["to"]["version_id"].as_str().unwrap().to_string(),
        )
    };
    // Exactly a version's time is that version; a second before it, the one before.
    assert_eq!(pick(&v1.at, None), (v1.id.clone(), v3.id.clone()));
    assert_eq!(pick(&v2.at, Some(&v3.at)), (v2.id.clone(), v3.id.clone()));
    let before_v2 = second_before(&v2.at);
    assert_eq!(
        pick(&before_v2, Some(&v2.id)),
        (v1.id.clone(), v2.id.clone())
    );
    // A day before the first version: nothing was live.
    let early = ffce_key(&d.bucket, &["diff", DEVICE, "--from", "2001-01-01"]);
    early.expect_code(3);
    assert!(
        early
            .stderr
            .contains("had no backup yet at 2001-01-01T00:00:00Z"),
        "{}",
        early.stderr
    );
    // Garbage is neither a time nor a version id.
    ffce_key(&d.bucket, &["diff", DEVICE, "--from", "a b"]).expect_code(2);
    ffce_key(&d.bucket, &["diff", DEVICE, "--from", "no-such-version"]).expect_code(3);
}

/// `2026-11-30T10:00:05Z` → `2026-11-30T10:00:04Z`.
fn second_before(at: &str) -> String {
    let t = ffce_store::parse_time(at).unwrap() - Duration::from_secs(1);
    ffce_store::format_time(t)
}

#[test]
fn a_time_when_the_backup_was_deleted_is_a_clear_error() {
    let d = devices();
    let marker = &d.deleted[1];
    let run = ffce_key(&d.bucket, &["diff", DELETED, "--from", &marker.at]);
    run.expect_code(3);
    assert!(
        run.stderr.contains("was deleted (delete marker"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&marker.id), "{}", run.stderr);
    // By default the version before the latest skips the delete marker.
    let ok = ffce_key(&d.bucket, &["diff", "--json", "--stat", DELETED]);
    ok.expect_code(0);
    assert_eq!(ok.json()["from"]["version_id"], d.deleted[0].id.as_str());
}

#[test]
fn identical_versions_say_identical_and_exit_code_tells_them_apart() {
    let d = devices();
    let same = ffce_key(&d.bucket, &["diff", "--exit-code", OTHER]);
    same.expect_code(0);
    assert!(
        same.out()
            .contains("identical: the same 13 tables and 96 rows"),
        "{}",
        same.out()
    );
    let json = ffce_key(&d.bucket, &["diff", "--json", OTHER]);
    assert_eq!(json.json()["identical"], true);
    // Two devices' latest backups: both v3.
    ffce_key(&d.bucket, &["diff", "--exit-code", DEVICE, OTHER]).expect_code(0);
    let differ = ffce_key(&d.bucket, &["diff", "--exit-code", DEVICE]);
    differ.expect_code(6);
    assert!(
        !differ.stderr.contains("error"),
        "exit 6 is not an error: {}",
        differ.stderr
    );
    assert!(differ.out().contains("scenes"), "{}", differ.out());
    ffce_key(&d.bucket, &["diff", "--exit-code", "--json", DEVICE]).expect_code(6);
    ffce_key(&d.bucket, &["diff", DEVICE]).expect_code(0);
}

#[test]
fn show_renders_every_table_and_its_json_is_the_export() {
    let d = devices();
    let run = ffce_key(&d.bucket, &["show", DEVICE]);
    run.expect_code(0);
    let out = run.out();
    let v3 = export_json("device-v3.json");
    for t in v3["data"]["tables"].as_array().unwrap() {
        let heading = format!(
            "{} ({} row{}; key ",
            t["name"].as_str().unwrap(),
            t["rowCount"],
            if t["rowCount"] == 1 { "" } else { "s" }
        );
        assert!(out.contains(&heading), "no {heading:?} in:\n{out}");
    }
    assert!(
        out.contains(&format!(
            "source    device {DEVICE} version {}",
            d.device[2].id
        )),
        "{out}"
    );
    assert!(
        out.contains("database  \"FireFly-Controller\", version 4"),
        "{out}"
    );
    assert!(out.contains("tables    13 tables, 96 rows"), "{out}");
    assert!(out.contains("  3   Kitchen lights"), "{out}");
    assert!(out.contains("  Evening  5     [11]"), "{out}");
    assert_no_secrets("show", &run.all());

    // --version-id, --json --reveal-secrets: the export itself.
    let v1 = ffce_key(
        &d.bucket,
        &[
            "show",
            "--json",
            "--reveal-secrets",
            DEVICE,
            "--version-id",
            &d.device[0].id,
        ],
    );
    v1.expect_code(0);
    let doc = v1.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["export"], export_json("device-v1.json"));
    assert_eq!(doc["secrets"], "revealed");
    assert_eq!(
        doc["database"],
        serde_json::json!({"name": "FireFly-Controller", "version": 3, "format_version": 1})
    );
    assert_eq!(doc["restore_problems"], serde_json::json!([]));
    assert_eq!(table(&doc, "relay_models")["primary_key"], "id");
    assert_eq!(table(&doc, "settings")["primary_key"], "setting");

    // --table picks tables, in the human form and in the export.
    let settings = ffce_key(
        &d.bucket,
        &["show", "--json", DEVICE, "--table", "settings"],
    );
    settings.expect_code(0);
    let doc = settings.json();
    let names: Vec<&Value> = doc["export"]["data"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["name"])
        .collect();
    assert_eq!(names, ["settings"]);
    assert_eq!(
        doc["export"]["data"]["data"][0]["rows"][0]["value"]["password"],
        "[redacted]"
    );
    assert_eq!(doc["tables"].as_array().unwrap().len(), 13);
    ffce_key(&d.bucket, &["show", DEVICE, "--table", "nope"]).expect_code(3);
}

#[test]
fn show_jsonl_streams_one_record_per_row() {
    let d = devices();
    let run = ffce_key(
        &d.bucket,
        &[
            "show", "--jsonl", DEVICE, "--table", "scenes", "--table", "settings",
        ],
    );
    run.expect_code(0);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 8 + 3 + 1, "{}", run.out());
    let rows: Vec<(&str, &Value)> = lines[..11]
        .iter()
        .map(|l| {
            assert_eq!(l["type"], "row");
            (l["table"].as_str().unwrap(), &l["key"])
        })
        .collect();
    assert_eq!(rows[0], ("settings", &serde_json::json!("wifi")));
    assert_eq!(rows[8], ("scenes", &serde_json::json!(["Evening", 1])));
    let last = &lines[11];
    assert_eq!(last["type"], "show");
    assert_eq!(last["schema_version"], 1);
    assert!(last.get("export").is_none());
    assert_no_secrets("show --jsonl", &run.all());
}

/// A copy of v1 without its settings and certificates: against it, v1's secrets are
/// in added rows.
fn without_secret_tables(dir: &std::path::Path) -> PathBuf {
    let mut doc = export_json("device-v1.json");
    for list in ["tables", "data"] {
        let label = if list == "tables" {
            "name"
        } else {
            "tableName"
        };
        doc["data"][list]
            .as_array_mut()
            .unwrap()
            .retain(|t| t[label] != "settings" && t[label] != "certificates");
    }
    write_file(dir, "bare.json", &serde_json::to_vec(&doc).unwrap(), 0o600)
}

#[test]
fn no_output_form_shows_a_secret_unless_asked() {
    let d = devices();
    let dir = temp_dir();
    let bare = without_secret_tables(dir.path());
    let (v1, v2) = (d.device[0].id.as_str(), d.device[1].id.as_str());
    let forms: Vec<Vec<&str>> = vec![
        vec!["show", DEVICE],
        vec!["show", "--json", DEVICE],
        vec!["show", "--jsonl", DEVICE],
        vec!["show", DEVICE, "--version-id", v1],
        vec!["diff", DEVICE, "--from", v1, "--to", v2],
        vec!["diff", "--json", DEVICE, "--from", v1, "--to", v2],
        vec!["diff", "--jsonl", DEVICE, "--from", v1, "--to", v2],
        vec!["diff", "--stat", DEVICE, "--from", v1, "--to", v2],
        vec!["diff", "--stat", "--json", DEVICE, "--from", v1, "--to", v2],
        vec!["diff", s(&bare), DEVICE],
        vec!["diff", "--json", s(&bare), DEVICE],
        vec!["diff", "--jsonl", DEVICE, s(&bare)],
        vec!["versions", "--content", DEVICE],
        vec!["versions", "--content", "--json", DEVICE],
        vec!["versions", "--content", "--jsonl", DEVICE],
    ];
    for form in &forms {
        let run = ffce_key(&d.bucket, form);
        run.expect_code(0);
        assert_no_secrets(&form.join(" "), &run.all());
        assert!(!run.out().is_empty(), "{form:?} printed nothing");
    }
    // Asked, they are there: the WiFi passwords in the diff, every secret in show.
    let diff = ffce_key(
        &d.bucket,
        &["diff", "--reveal-secrets", DEVICE, "--from", v1, "--to", v2],
    );
    diff.expect_code(0);
    assert!(
        diff.out()
            .contains("value.password: \"fixture-wifi-pass-v1\" → \"fixture-wifi-pass-v2\""),
        "{}",
        diff.out()
    );
    let json = ffce_key(
        &d.bucket,
        &["diff", "--json", "--reveal-secrets", s(&bare), DEVICE],
    );
    let text = json.out();
    for secret in [
        "fixture-wifi-pass-v2",
        "fixture-mqtt-pass",
        "BEGIN PRIVATE KEY",
    ] {
        assert!(
            text.contains(secret),
            "diff --json --reveal-secrets lacks {secret}"
        );
    }
    for form in [
        vec!["show", "--reveal-secrets", DEVICE],
        vec!["show", "--json", "--reveal-secrets", DEVICE],
    ] {
        let run = ffce_key(&d.bucket, &form);
        for secret in [
            "fixture-wifi-pass-v2",
            "fixture-mqtt-pass",
            "BEGIN PRIVATE KEY",
        ] {
            assert!(
                run.out().contains(secret),
                "{form:?} lacks {secret}:\n{}",
                run.out()
            );
        }
    }
}

#[test]
fn versions_content_says_what_each_version_holds() {
    let d = devices();
    let run = ffce_key(&d.bucket, &["versions", "--content", "--json", DEVICE]);
    run.expect_code(0);
    let doc = run.json();
    let versions = doc["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 3);
    let summary: Vec<(Value, Value, Value, Value)> = versions
        .iter()
        .map(|v| {
            let c = &v["content"];
            (
                c["verdict"].clone(),
                c["restorable"].clone(),
                c["database_version"].clone(),
                c["total_rows"].clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("authentic".into(), true.into(), 4.into(), 96.into()),
            ("authentic".into(), true.into(), 3.into(), 93.into()),
            ("authentic".into(), true.into(), 3.into(), 92.into()),
        ]
    );
    let tags = versions[1]["content"]["tables"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "tags")
        .unwrap()
        .clone();
    assert_eq!(tags, serde_json::json!({"name": "tags", "rows": 5}));

    let human = ffce_key(&d.bucket, &["versions", "--content", DEVICE]);
    human.expect_code(0);
    assert!(
        human
            .out()
            .contains("authentic, database version 4, 13 tables, 96 rows"),
        "{}",
        human.out()
    );

    // Streams with --jsonl: one record per version, then the summary.
    let lines = ffce_key(&d.bucket, &["versions", "--content", "--jsonl", DEVICE]).json_lines();
    assert_eq!(lines.len(), 4);
    assert!(
        lines[..3]
            .iter()
            .all(|l| l["type"] == "version" && l["content"]["verdict"] == "authentic")
    );
    assert_eq!(lines[3]["type"], "versions_summary");
    assert_eq!(lines[3]["restorable"], 3);

    // No key: the structure only. Another device's key: not authentic.
    let nokey = d.bucket.ffce(&["versions", "--content", "--json", DEVICE]);
    nokey.expect_code(0);
    assert_eq!(
        nokey.json()["versions"][0]["content"]["verdict"],
        "unchecked"
    );
    let other = ffce_endpoint(
        &[
            "versions",
            "--content",
            "--json",
            DEVICE,
            "--bucket",
            &d.bucket.name,
        ],
        &[("FFCE_MASTER_KEY", &"22".repeat(32))],
    );
    other.expect_code(0);
    assert_eq!(
        other.json()["versions"][2]["content"]["verdict"],
        "not_authentic"
    );
    // A delete marker has no content.
    let deleted = ffce_key(&d.bucket, &["versions", "--content", "--json", DELETED]).json();
    assert!(
        deleted["versions"][1].get("content").is_none(),
        "{deleted:#}"
    );
    assert_eq!(deleted["versions"][1]["kind"], "delete_marker");
}

#[test]
fn key_dir_gives_each_device_its_key() {
    let d = devices();
    let dir = temp_dir();
    hex_key_file(dir.path(), &format!("{DEVICE}.key"), MASTER_11);
    let keys = s(dir.path());
    let run = d
        .bucket
        .ffce(&["diff", "--stat", "--key-dir", keys, DEVICE]);
    run.expect_code(0);
    d.bucket
        .ffce(&["show", "--key-dir", keys, DEVICE, "--table", "tags"])
        .expect_code(0);
    let missing = d.bucket.ffce(&["show", "--key-dir", keys, OTHER]);
    missing.expect_code(3);
    assert!(
        missing
            .stderr
            .contains(&format!("no key for device {OTHER}")),
        "{}",
        missing.stderr
    );
    let versions = d
        .bucket
        .ffce(&["versions", "--content", "--json", "--key-dir", keys, DEVICE]);
    assert_eq!(
        versions.json()["versions"][0]["content"]["verdict"],
        "authentic"
    );
}
