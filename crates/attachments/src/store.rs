//! Content-addressed storage of cleaned files on the local disk.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::{CleanFile, sha256_hex};

/// Cleaned files on disk, one file per content, at `<root>/<first 2 hex>/<sha256>`.
///
/// The storage key of a file is `<first 2 hex>/<sha256>` (lowercase hex, 67 characters): the
/// same bytes always get the same key, so storing them twice stores them once. Keys are checked
/// strictly before they touch the file system, so a key coming back from a request can never
/// name a file outside the root.
///
/// Writes are atomic: a reader sees a whole file or none. A crash can leave a `.tmp-*` file in a
/// shard directory; it is never read and can be deleted.
///
/// Files and directories are created readable by the owner only (on Unix), as they may be
/// personal photos. All methods block; async callers run them with `spawn_blocking`.
///
/// Because files are shared by content, the store has no delete: two reports can hold the same
/// photo, and removing one must not remove it from the other.
#[derive(Debug, Clone)]
pub struct DiskStore {
    root: PathBuf,
}

/// Distinguishes the temporary files of concurrent writers in one process.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl DiskStore {
    /// A store under `root` (for example `<data dir>/attachments`). Nothing is created until
    /// the first [`DiskStore::put`].
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DiskStore { root: root.into() }
    }

    /// The directory the files are stored under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether files can be stored: the root is (or can be made) a directory, and a file can be
    /// created, written and removed in it. For start-up and readiness checks, so that a data
    /// directory that is a file, or full, or read-only, is found before a citizen uploads a photo.
    pub fn check_writable(&self) -> io::Result<()> {
        if self.root.exists() && !self.root.is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotADirectory,
                format!("{} is not a directory", self.root.display()),
            ));
        }
        create_private_dir(&self.root)?;
        let (path, mut file) = create_temp(&self.root, "ready")?;
        let written = file.write_all(b"ok").and_then(|()| file.sync_all());
        drop(file);
        let removed = fs::remove_file(&path);
        written.and(removed)
    }

    /// Stores `file` and returns its key, `<first 2 hex>/<sha256>`.
    ///
    /// Does nothing but return the key when a file of that content is already stored. Fails
    /// with [`io::ErrorKind::InvalidInput`] if [`CleanFile::sha256`] is not the SHA-256 of
    /// [`CleanFile::bytes`].
    pub fn put(&self, file: &CleanFile) -> io::Result<String> {
        let sha256 = sha256_hex(&file.bytes);
        if sha256 != file.sha256 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the file's sha256 does not match its bytes",
            ));
        }
        let key = format!("{}/{}", &sha256[..2], sha256);
        let path = self.root.join(&key);

        match fs::metadata(&path) {
            // already stored (a complete file, since it only appears by rename)
            Ok(meta) if meta.is_file() && meta.len() == file.bytes.len() as u64 => {
                return Ok(key);
            }
            // something else is in the way (a file of another size can only be damage):
            // replaced atomically below
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }

        let shard = self.root.join(&sha256[..2]);
        let new_root = !self.root.is_dir();
        let new_shard = !shard.is_dir();
        create_private_dir(&shard)?;

        let (temp_path, mut temp) = create_temp(&shard, &sha256)?;
        let written = temp
            .write_all(&file.bytes)
            .and_then(|()| temp.sync_all())
            .and_then(|()| {
                drop(temp);
                fs::rename(&temp_path, &path)
            });
        if let Err(e) = written {
            let _ = fs::remove_file(&temp_path);
            return Err(e);
        }

        // make the rename, and any directory just created, survive a power cut
        sync_dir(&shard)?;
        if new_shard {
            sync_dir(&self.root)?;
        }
        if new_root && let Some(parent) = self.root.parent() {
            let parent = if parent.as_os_str().is_empty() {
                Path::new(".")
            } else {
                parent
            };
            sync_dir(parent)?;
        }
        Ok(key)
    }

    /// The bytes stored under `key`.
    ///
    /// Fails with [`io::ErrorKind::InvalidInput`] if `key` is not a valid key (see
    /// [`DiskStore::path`]) and [`io::ErrorKind::NotFound`] if nothing is stored under it.
    pub fn get(&self, key: &str) -> io::Result<Vec<u8>> {
        let path = self
            .path(key)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "invalid attachment key"))?;
        fs::read(path)
    }

    /// Where the file of `key` is (or would be) stored, or `None` if `key` is not exactly two
    /// lowercase hex digits, `/`, and the 64 lowercase hex digits of a SHA-256 starting with
    /// those two.
    pub fn path(&self, key: &str) -> Option<PathBuf> {
        is_valid_key(key).then(|| self.root.join(&key[..2]).join(&key[3..]))
    }

    /// The key of every stored file, sorted (none if the root does not exist yet). The
    /// temporary files of unfinished writes are left out.
    pub fn keys(&self) -> io::Result<Vec<String>> {
        let mut keys = Vec::new();
        let shards = match fs::read_dir(&self.root) {
            Ok(s) => s,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(keys),
            Err(e) => return Err(e),
        };
        for shard in shards {
            let shard = shard?;
            if !shard.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(shard.path())? {
                let file = file?;
                let key = format!(
                    "{}/{}",
                    shard.file_name().to_string_lossy(),
                    file.file_name().to_string_lossy()
                );
                if file.file_type()?.is_file() && is_valid_key(&key) {
                    keys.push(key);
                }
            }
        }
        keys.sort();
        Ok(keys)
    }
}

fn is_valid_key(key: &str) -> bool {
    let b = key.as_bytes();
    let lower_hex = |c: &u8| matches!(c, b'0'..=b'9' | b'a'..=b'f');
    b.len() == 67
        && b[2] == b'/'
        && b[..2] == b[3..5]
        && b[..2].iter().all(lower_hex)
        && b[3..].iter().all(lower_hex)
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// A new, empty temporary file in `dir`, never one that already exists.
fn create_temp(dir: &Path, sha256: &str) -> io::Result<(PathBuf, File)> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    loop {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!(".tmp-{sha256}-{}-{n}", std::process::id()));
        match options.open(&path) {
            Ok(file) => return Ok((path, file)),
            // left by a crashed process that had the same id: try the next name
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
}

/// Flushes a directory's entries to disk (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_directory_passes_the_check_and_keeps_nothing_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = DiskStore::new(dir.path().join("attachments"));
        store.check_writable().unwrap();
        let left: Vec<_> = fs::read_dir(store.root()).unwrap().collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_root_that_is_a_file_fails_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("attachments");
        fs::write(&file, b"not a directory").unwrap();
        let err = DiskStore::new(&file).check_writable().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotADirectory);
        let below = DiskStore::new(file.join("deeper")).check_writable();
        assert!(below.is_err());
    }

    #[test]
    fn key_validation() {
        let sha = "ab".to_owned() + &"0123456789abcdef".repeat(4)[2..];
        assert_eq!(sha.len(), 64);
        let good = format!("ab/{sha}");
        assert!(is_valid_key(&good));
        for bad in [
            "".to_owned(),
            "../x".to_owned(),
            "ab/../../etc".to_owned(),
            format!("cd/{sha}"),
            format!("AB/{}", sha.to_uppercase()),
            format!("ab/{}", &sha[..63]),
            format!("ab/{sha}0"),
            format!("ab\\{sha}"),
            format!("/b/{sha}"),
            format!("ab/{}g", &sha[..63]),
            format!("ab/{}/", &sha[..63]),
            format!("..{}", &good[2..]),
        ] {
            assert!(!is_valid_key(&bad), "{bad}");
        }
    }
}
