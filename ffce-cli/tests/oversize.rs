//! An object over the cloud's upload limit (524,288 bytes) at a backup's key is not a
//! backup: `audit`, `get` (its report), `get -o` and `get --decrypt -o` all say too
//! large, name the size and the limit, and exit 4; nothing is written.

use crate::common;

use common::*;

#[test]
fn an_oversize_object_at_a_backup_key_is_too_large_everywhere() {
    let dir = temp_dir();
    let key = master_11(dir.path());
    // Sealed by `encrypt` (which allows it: a configfs file has no limit), then planted
    // where a backup lives.
    let plaintext = vec![b' '; 524_289];
    let blob = seal(dir.path(), "big", &plaintext);
    let len = std::fs::metadata(&blob).unwrap().len();
    assert_eq!(len, 524_326);
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join(DEVICE)).unwrap();
    std::fs::copy(&blob, store.join(DEVICE).join("backup.ffce")).unwrap();
    let st = s(&store);

    let r = run(["audit", "--dir", st]);
    r.expect_code(4);
    assert!(r.all().contains("TOO_LARGE"), "{}", r.all());

    let out = dir.path().join("out");
    let cases: [&[&str]; 4] = [
        &["get", "--dir", st, DEVICE],
        &["get", "--dir", st, DEVICE, "--master-key-file", s(&key)],
        &["get", "--dir", st, DEVICE, "-o", s(&out)],
        &[
            "get",
            "--dir",
            st,
            DEVICE,
            "--decrypt",
            "--master-key-file",
            s(&key),
            "-o",
            s(&out),
        ],
    ];
    for args in cases {
        let r = run(args);
        let all = r.all();
        assert_eq!(r.code(), 4, "{args:?}: {all}");
        assert!(all.contains("524,326 bytes"), "{args:?}: {all}");
        assert!(all.contains("524,288"), "{args:?}: {all}");
        assert!(all.contains("too large"), "{args:?}: {all}");
        assert!(!all.contains("fine for a configfs"), "{args:?}: {all}");
        assert!(!out.exists(), "{args:?}: an output was written");
    }
    let r = run(["get", "--json", "--dir", st, DEVICE]);
    r.expect_code(4);
    let report = r.json();
    assert_eq!(report["errors"][0]["code"], "too_large", "{}", r.out());
    assert_eq!(report["valid"], false, "{}", r.out());
}
