//! Where a signed-in user's tokens are kept: the object-safe [`TokenStore`], in memory by
//! default or in a file only its owner can read.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use secrecy::{ExposeSecret, SecretString};

use crate::auth::{BoxError, Redacted};

/// A user's tokens as a [`TokenStore`] keeps them. `Debug` shows neither token.
#[derive(Clone)]
pub struct StoredToken {
    /// The access token.
    pub access_token: SecretString,
    /// The refresh token, when the server issued one; the newest one (servers that rotate
    /// them invalidate the previous one).
    pub refresh_token: Option<SecretString>,
    /// When the access token expires, when the server said.
    pub expires_at: Option<SystemTime>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &Redacted)
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| Redacted))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Keeps a signed-in user's tokens between calls and, with a persistent store, between runs.
/// Object-safe: an authenticator holds an `Arc<dyn TokenStore>`. Implement it for a keychain
/// or a secrets service with [`async_trait`](crate::async_trait); errors must not contain a
/// token.
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync {
    /// The tokens kept, or `None` when there are none.
    async fn load(&self) -> Result<Option<StoredToken>, BoxError>;
    /// Replaces the tokens kept.
    async fn save(&self, token: &StoredToken) -> Result<(), BoxError>;
    /// Forgets the tokens (signing out).
    async fn clear(&self) -> Result<(), BoxError>;
}

/// Tokens kept in memory for the life of the process: the default store.
#[derive(Default)]
pub struct MemoryTokenStore(Mutex<Option<StoredToken>>);

impl MemoryTokenStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl fmt::Debug for MemoryTokenStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self.0.lock().map(|t| t.is_some()).unwrap_or(false);
        f.debug_struct("MemoryTokenStore").field("holds_token", &held).finish()
    }
}

#[async_trait::async_trait]
impl TokenStore for MemoryTokenStore {
    async fn load(&self) -> Result<Option<StoredToken>, BoxError> {
        Ok(self.0.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
    async fn save(&self, token: &StoredToken) -> Result<(), BoxError> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
        Ok(())
    }
    async fn clear(&self) -> Result<(), BoxError> {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }
}

/// Tokens kept in a JSON file that only its owner can read or write (mode 0600 on Unix).
///
/// A save writes a temporary file in the same directory (created with mode 0600, so the
/// tokens are never readable by others, not even for a moment), flushes it to disk, and
/// renames it over the file: a process killed mid-write leaves the old file or the new one,
/// never a torn one. The directory must exist.
///
/// ```
/// use restrait::auth::FileTokenStore;
/// let store = FileTokenStore::new("/home/me/.config/mytool/tokens.json");
/// ```
#[derive(Clone, Debug)]
pub struct FileTokenStore {
    path: PathBuf,
}

impl FileTokenStore {
    /// A store in the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileTokenStore { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The file's contents; the tokens are exposed only here, to be written.
fn encode(token: &StoredToken) -> Vec<u8> {
    let expires_at = token.expires_at.and_then(|at| at.duration_since(UNIX_EPOCH).ok()).map(|d| d.as_secs());
    serde_json::to_vec_pretty(&serde_json::json!({
        "access_token": token.access_token.expose_secret(),
        "refresh_token": token.refresh_token.as_ref().map(|t| t.expose_secret()),
        "expires_at": expires_at,
    }))
    .unwrap_or_default()
}

fn decode(bytes: &[u8], path: &Path) -> Result<StoredToken, BoxError> {
    let bad = |why: &str| -> BoxError { format!("the token file {} {why}", path.display()).into() };
    let json: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| bad("is not JSON"))?;
    let text = |name: &str| json.get(name).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
    let access_token = text("access_token").ok_or_else(|| bad("has no `access_token`"))?;
    Ok(StoredToken {
        access_token: SecretString::from(access_token.to_string()),
        refresh_token: text("refresh_token").map(|t| SecretString::from(t.to_string())),
        expires_at: json
            .get("expires_at")
            .and_then(|v| v.as_u64())
            .and_then(|s| UNIX_EPOCH.checked_add(Duration::from_secs(s))),
    })
}

/// Writes `bytes` to `path` by way of a temporary file in its directory.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = (|| {
        let mut file = options.open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    // The rename itself is durable once the directory is flushed.
    #[cfg(unix)]
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[async_trait::async_trait]
impl TokenStore for FileTokenStore {
    async fn load(&self) -> Result<Option<StoredToken>, BoxError> {
        let path = self.path.clone();
        match tokio::fs::read(&path).await {
            Ok(bytes) => decode(&bytes, &path).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("the token file {} could not be read ({e})", path.display()).into()),
        }
    }

    async fn save(&self, token: &StoredToken) -> Result<(), BoxError> {
        let path = self.path.clone();
        let bytes = encode(token);
        tokio::task::spawn_blocking(move || {
            write_atomically(&path, &bytes)
                .map_err(|e| format!("the token file {} could not be written ({e})", path.display()))
        })
        .await
        .map_err(|_| "the token file's writer stopped")??;
        Ok(())
    }

    async fn clear(&self) -> Result<(), BoxError> {
        match tokio::fs::remove_file(&self.path).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(format!("the token file {} could not be removed ({e})", self.path.display()).into())
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_format_round_trips_and_debug_hides_tokens() {
        let token = StoredToken {
            access_token: SecretString::from("s3ntinel-a".to_string()),
            refresh_token: Some(SecretString::from("s3ntinel-r".to_string())),
            expires_at: Some(UNIX_EPOCH + Duration::from_secs(1_900_000_000)),
        };
        let back = decode(&encode(&token), Path::new("t.json")).unwrap();
        assert_eq!(back.access_token.expose_secret(), "s3ntinel-a");
        assert_eq!(back.refresh_token.unwrap().expose_secret(), "s3ntinel-r");
        assert_eq!(back.expires_at, token.expires_at);
        assert!(!format!("{token:?}").contains("s3ntinel"));
        let e = decode(b"{\"access_token\": 5}", Path::new("t.json")).err().unwrap().to_string();
        assert_eq!(e, "the token file t.json has no `access_token`");
    }
}
