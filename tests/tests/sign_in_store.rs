//! The file token store: owner-only permissions, and a writer killed mid-write leaves the old
//! file or the new one, never a torn one.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime};

use restrait::auth::{FileTokenStore, StoredToken, TokenStore};
use secrecy::{ExposeSecret, SecretString};

/// Set in the child process that writes in a loop until it is killed.
const WRITER: &str = "RESTRAIT_TOKEN_WRITER_PATH";

fn token(fill: char) -> StoredToken {
    // Large enough that a write takes a while, so that kills land in the middle of one.
    let big = fill.to_string().repeat(4 << 20);
    StoredToken {
        access_token: SecretString::from(big.clone()),
        refresh_token: Some(SecretString::from(big)),
        expires_at: Some(SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000_000)),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("restrait-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The child's loop (a no-op test in the parent process).
#[test]
fn writer_child() {
    let Ok(path) = std::env::var(WRITER) else { return };
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let store = FileTokenStore::new(path);
    let (a, b) = (token('a'), token('b'));
    runtime.block_on(async {
        loop {
            store.save(&a).await.unwrap();
            store.save(&b).await.unwrap();
        }
    });
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[tokio::test]
async fn the_file_is_written_owner_only() {
    let dir = temp_dir("store-mode");
    let path = dir.join("tokens.json");
    let store = FileTokenStore::new(&path);
    assert!(store.load().await.unwrap().is_none());
    store.save(&token('a')).await.unwrap();
    assert_eq!(mode(&path), 0o600);
    // A file that was readable by others before is replaced by an owner-only one.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    store.save(&token('b')).await.unwrap();
    assert_eq!(mode(&path), 0o600);
    let back = store.load().await.unwrap().unwrap();
    assert!(back.access_token.expose_secret().starts_with('b'));
    store.clear().await.unwrap();
    assert!(store.load().await.unwrap().is_none());
    // Nothing but the file itself was ever left in the directory.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_writer_killed_mid_write_leaves_the_old_or_the_new_file() {
    let dir = temp_dir("store-crash");
    let path = dir.join("tokens.json");
    let store = FileTokenStore::new(&path);
    store.save(&token('a')).await.unwrap();
    let (a, b) = (token('a'), token('b'));
    let mut interrupted = 0;
    for round in 0..24u64 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["writer_child", "--exact", "--nocapture", "--test-threads=1"])
            .env(WRITER, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // SIGKILL, so that no cleanup runs. Every other round kills as soon as a temporary file
        // shows up (a write under way: encoding the large token takes most of each save in a
        // debug build, so a kill at a fixed delay lands between writes more often than not);
        // the others at a different delay each.
        if round % 2 == 0 {
            let deadline = std::time::Instant::now() + Duration::from_secs(10);
            while !has_temporary_file(&dir, &path) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_micros(200));
            }
        } else {
            std::thread::sleep(Duration::from_millis(20 + round * 13));
        }
        child.kill().unwrap();
        child.wait().unwrap();

        let loaded = store.load().await.unwrap().expect("the token file is gone");
        let whole = [&a, &b].iter().any(|t| {
            loaded.access_token.expose_secret() == t.access_token.expose_secret()
                && loaded.refresh_token.as_ref().map(|r| r.expose_secret().to_string())
                    == t.refresh_token.as_ref().map(|r| r.expose_secret().to_string())
        });
        assert!(whole, "round {round}: the token file is neither the old nor the new one");
        assert_eq!(mode(&path), 0o600);
        // A temporary file left behind is a write the kill interrupted.
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap().path();
            if entry != path {
                assert_eq!(mode(&entry), 0o600, "a temporary file readable by others");
                std::fs::remove_file(entry).unwrap();
                interrupted += 1;
            }
        }
    }
    assert!(interrupted > 0, "no kill landed in the middle of a write; the test proved nothing");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Whether `dir` holds a file other than `path`: a save's temporary file.
#[cfg(unix)]
fn has_temporary_file(dir: &Path, path: &Path) -> bool {
    std::fs::read_dir(dir).map(|entries| entries.flatten().any(|e| e.path() != path)).unwrap_or(false)
}
