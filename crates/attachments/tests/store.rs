//! `DiskStore`: content-addressed, atomic, and closed to keys that could leave its root.

mod common;

use std::io::ErrorKind;
use tanggap_attachments::{CleanFile, DiskStore, Limits, clean};

fn pdf(text: &str) -> CleanFile {
    let bytes = format!(
        "%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R /Lang ({text}) >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    );
    clean(bytes.as_bytes(), "surat.pdf", &Limits::default()).unwrap()
}

/// Every file under `dir`, relative, sorted.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir).unwrap() {
        let shard = shard.unwrap();
        for file in std::fs::read_dir(shard.path()).unwrap() {
            out.push(format!(
                "{}/{}",
                shard.file_name().to_string_lossy(),
                file.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn put_then_get() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path().join("lampiran"));
    let photo = clean(&common::dirty_jpeg(1), "foto.jpg", &Limits::default()).unwrap();
    let letter = pdf("surat");

    let key = store.put(&photo).unwrap();
    assert_eq!(key, format!("{}/{}", &photo.sha256[..2], photo.sha256));
    assert_eq!(store.get(&key).unwrap(), photo.bytes);
    assert_eq!(
        store.path(&key).unwrap(),
        dir.path()
            .join("lampiran")
            .join(&photo.sha256[..2])
            .join(&photo.sha256)
    );
    let other = store.put(&letter).unwrap();
    assert_ne!(other, key);
    assert_eq!(store.get(&other).unwrap(), letter.bytes);
    assert_eq!(store.get(&key).unwrap(), photo.bytes);
    assert_eq!(files(store.root()), {
        let mut keys = vec![key, other];
        keys.sort();
        keys
    });
}

#[test]
fn put_twice_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path());
    let file = pdf("dua kali");
    let key = store.put(&file).unwrap();
    let path = store.path(&key).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));

    // the same bytes under another name are the same content
    let mut again = file.clone();
    again.filename = "lain.pdf".to_owned();
    assert_eq!(store.put(&again).unwrap(), key);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified,
        "not rewritten"
    );
    // one file, and no temporary file left behind
    assert_eq!(files(dir.path()), std::slice::from_ref(&key));
    assert_eq!(store.get(&key).unwrap(), file.bytes);
}

#[test]
fn a_damaged_stored_file_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path());
    let file = pdf("rusak");
    let key = store.put(&file).unwrap();
    std::fs::write(store.path(&key).unwrap(), b"half").unwrap();
    assert_eq!(store.put(&file).unwrap(), key);
    assert_eq!(store.get(&key).unwrap(), file.bytes);
    assert_eq!(files(dir.path()), [key]);
}

#[test]
fn put_refuses_a_hash_that_does_not_match() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path());
    let mut file = pdf("palsu");
    file.sha256 = pdf("lain").sha256;
    assert_eq!(
        store.put(&file).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    file.sha256 = "../../../etc/passwd".to_owned();
    assert_eq!(
        store.put(&file).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn bad_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path().join("root"));
    let file = pdf("kunci");
    let key = store.put(&file).unwrap();
    let sha = &file.sha256;
    // a file outside the root that a bad key would reach
    std::fs::write(dir.path().join("secret"), b"secret").unwrap();

    for bad in [
        "".to_owned(),
        "../x".to_owned(),
        "../secret".to_owned(),
        "ab/../../etc".to_owned(),
        "ab/../../etc/passwd".to_owned(),
        "/etc/passwd".to_owned(),
        key.to_uppercase(),
        format!("{}/{}", &sha[..2].to_uppercase(), sha.to_uppercase()),
        format!("{}/{}", &sha[..2], &sha[..63]),
        format!("{}/{}0", &sha[..2], sha),
        format!("{}/{}", &sha[..3], sha),
        sha.clone(),
        format!("{}\\{}", &sha[..2], sha),
        format!("{}/{}/", &sha[..2], &sha[..63]),
        format!("ff/{}", sha),
        format!("{}//{}", &sha[..2], &sha[1..]),
        format!("../{}", &sha[3..]),
    ] {
        assert!(store.path(&bad).is_none(), "{bad:?}");
        let err = store.get(&bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    // a valid key with nothing stored under it
    let missing = format!("00/00{}", &"0".repeat(62));
    assert_eq!(store.get(&missing).unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(store.get(&key).unwrap(), file.bytes);
}

#[cfg(unix)]
#[test]
fn files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path().join("lampiran"));
    let key = store.put(&pdf("pribadi")).unwrap();
    let path = store.path(&key).unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
}

#[test]
fn concurrent_puts_of_the_same_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskStore::new(dir.path());
    let file = clean(&common::plain_png(), "x.png", &Limits::default()).unwrap();
    let keys: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| store.put(&file).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(keys.iter().all(|k| *k == keys[0]));
    assert_eq!(files(dir.path()), [keys[0].clone()]);
    assert_eq!(store.get(&keys[0]).unwrap(), file.bytes);
}
