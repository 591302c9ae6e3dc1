//! The SQLite file's folder and files, made private to this user on first start: the
//! database holds the coalition's private key.

use std::path::Path;

use super::DbError;

/// The database's folder, created readable by this user alone: it holds the coalition's
/// private key.
pub(super) fn create_dir(dir: &Path) -> Result<(), DbError> {
    let fail = |e: std::io::Error| {
        DbError::Setup(format!(
            "cannot create the folder {} for the SQLite file: {e}",
            dir.display()
        ))
    };
    if dir.exists() {
        return Ok(());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(fail)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(fail)
}

/// The SQLite file readable and writable by this user alone (0600), created so before SQLite
/// opens it: SQLite gives its `-wal` and `-shm` files the main file's mode. A file left by an
/// earlier version is tightened the same way, with its companions.
pub(super) fn private_files(file: &Path) -> Result<(), DbError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let fail = |e: std::io::Error| {
            DbError::Setup(format!("cannot make {} private: {e}", file.display()))
        };
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(file)
            .map_err(fail)?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = file.as_os_str().to_owned();
            name.push(suffix);
            let path = std::path::PathBuf::from(name);
            if path.exists() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
                    .map_err(fail)?;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
