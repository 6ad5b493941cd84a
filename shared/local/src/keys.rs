//! The signing keys of `make run`, in the data folder (never in the repo): the same three
//! documents a deployment keeps in Secrets Manager, as files readable by their owner only.
//!
//! - `keys/access.json`: the private access-token key set;
//! - `keys/tickets.json`: the private ticket key set;
//! - `keys/public.json`: the public halves of both (what verifiers read).
//!
//! The server reads them again every few seconds, so `stagepass-local rotate-keys` reaches a
//! running server the way a rotation in Secrets Manager reaches warm functions.

use stagepass_api::auth::KeySource;
use stagepass_api::{KeySet, KeyUse, Keys, PublicKeys};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long the local server keeps the key files before reading them again.
pub const LOCAL_KEY_CACHE: Duration = Duration::from_secs(2);

pub fn keys_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("keys")
}

fn path(data_dir: &Path, use_: KeyUse) -> PathBuf {
    keys_dir(data_dir).join(match use_ {
        KeyUse::Access => "access.json",
        KeyUse::Tickets => "tickets.json",
    })
}

pub fn public_path(data_dir: &Path) -> PathBuf {
    keys_dir(data_dir).join("public.json")
}

/// The private set of one use, made on first run. A data folder from before tickets had
/// their own keys has `signing-keys.json`: it becomes the access set, so logins survive.
pub fn load_or_create(data_dir: &Path, use_: KeyUse) -> Result<KeySet, String> {
    let file = path(data_dir, use_);
    let legacy = data_dir.join("signing-keys.json");
    let existing = match (std::fs::read_to_string(&file), use_) {
        (Ok(text), _) => Some((text, file.clone())),
        (Err(e), KeyUse::Access) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::read_to_string(&legacy).ok().map(|t| (t, legacy))
        }
        (Err(e), _) if e.kind() == std::io::ErrorKind::NotFound => None,
        (Err(e), _) => return Err(format!("{}: {e}", file.display())),
    };
    match existing {
        Some((text, from)) => {
            let set = KeySet::parse(&text).map_err(|e| format!("{}: {e}", from.display()))?;
            set.load().map_err(|e| format!("{}: {e}", from.display()))?;
            // A legacy file is copied to its new place; a current one is left as it is.
            if from != file {
                write_private(data_dir, use_, &set)?;
            }
            Ok(set)
        }
        None => {
            let set = KeySet::generate();
            write_private(data_dir, use_, &set)?;
            Ok(set)
        }
    }
}

/// Makes whatever is missing, writes the public document from the private sets, and returns
/// keys that read the files again every [`LOCAL_KEY_CACHE`].
pub async fn local_keys(data_dir: &Path) -> Result<Keys, String> {
    let access = load_or_create(data_dir, KeyUse::Access)?;
    let tickets = load_or_create(data_dir, KeyUse::Tickets)?;
    write_public(data_dir, &access, &tickets)?;
    Keys::read(
        file_source(path(data_dir, KeyUse::Access)),
        file_source(path(data_dir, KeyUse::Tickets)),
        file_source(public_path(data_dir)),
        LOCAL_KEY_CACHE,
    )
    .await
}

fn file_source(file: PathBuf) -> KeySource {
    Arc::new(move || {
        let file = file.clone();
        Box::pin(async move {
            tokio::fs::read_to_string(&file)
                .await
                .map_err(|e| format!("{}: {e}", file.display()))
        })
    })
}

/// A rotation of one set: the public document is written first, so no verifier meets a key
/// it has not read, and the new key signs only after `delay` ([`ACTIVATION_DELAY`] from the
/// command line), by when every reader has read the files again. Returns the new set.
pub fn rotate(data_dir: &Path, use_: KeyUse, delay: Duration) -> Result<KeySet, String> {
    let access = load_or_create(data_dir, KeyUse::Access)?;
    let tickets = load_or_create(data_dir, KeyUse::Tickets)?;
    let now = chrono::Utc::now();
    let (access, tickets) = match use_ {
        KeyUse::Access => (access.rotated(use_, now, delay)?, tickets),
        KeyUse::Tickets => (access, tickets.rotated(use_, now, delay)?),
    };
    write_public(data_dir, &access, &tickets)?;
    let rotated = match use_ {
        KeyUse::Access => access,
        KeyUse::Tickets => tickets,
    };
    write_private(data_dir, use_, &rotated)?;
    Ok(rotated)
}

fn write_public(data_dir: &Path, access: &KeySet, tickets: &KeySet) -> Result<(), String> {
    write(
        &public_path(data_dir),
        &PublicKeys::of(access, tickets)?.to_json(),
    )
}

fn write_private(data_dir: &Path, use_: KeyUse, set: &KeySet) -> Result<(), String> {
    write(&path(data_dir, use_), &set.to_json())
}

/// Writes a key file readable by its owner only, atomically (a server reading it meanwhile
/// sees the old or the new document, never half of one).
fn write(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().expect("key files are in a folder");
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let tmp = path.with_extension("json.tmp");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options
        .open(&tmp)
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}
