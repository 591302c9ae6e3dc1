//! On SQLite, other processes (a CLI command, another `serve` on the same file) write to the
//! same files: the server's loops are told when the files change. The system tells us
//! (inotify on Linux, through `notify`), so that an idle server is not woken at all
//! (BENCHMARKS.md, B6's idle CPU). Where no watch can be set (inotify's limits reached, say),
//! the files' size and time are looked at four times a second instead: a `stat`, not a query.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use notify::{EventKind, Watcher};
use tokio::sync::{Notify, watch};

use crate::state::AppState;

/// How often the loops are told of changes to the SQLite files at most, and how often the
/// files are looked at where the system cannot tell us of changes.
const FILE_CHANGES_EVERY: Duration = Duration::from_millis(250);

/// Tell the loops when the database's files change, at most four times a second: our own
/// writes change them too.
pub async fn watch_sqlite_files(path: PathBuf, state: AppState, mut stop: watch::Receiver<bool>) {
    let mut wal = path.clone().into_os_string();
    wal.push("-wal");
    let files = [path, PathBuf::from(wal)];
    let mut files_watch = match FileWatch::start(&files) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the database files: looking at them four times a second");
            return poll_files(&files, &state, stop).await;
        }
    };
    loop {
        tokio::select! {
            () = files_watch.changed.notified() => state.wakeup.notify(),
            _ = stop.changed() => return,
        }
        let before = files_watch.pause();
        tokio::select! {
            () = tokio::time::sleep(FILE_CHANGES_EVERY) => {},
            _ = stop.changed() => return,
        }
        match files_watch.resume(&before) {
            Ok(true) => state.wakeup.notify(),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch the database files again: looking at them four times a second");
                return poll_files(&files, &state, stop).await;
            }
        }
    }
}

/// A watch on the directory of the database (its WAL file comes and goes), signalling
/// `changed` when one of the files is written, created or removed. Reads and opens are not
/// changes. The watch stops when dropped.
///
/// Every write system call is an event, so that a busy writer (the inbox's, mostly) would be
/// followed write by write: a thread woken thousands of times a second, and the writer's own
/// time spent queueing the events (BENCHMARKS.md, "The inbox's chain measured at full rate":
/// 6% of a core, and 3% of the writer's).
/// Once told, the watch is paused until the loops may be told again, and what changed
/// meanwhile is read from the files' size and time.
struct FileWatch {
    changed: Arc<Notify>,
    watcher: notify::RecommendedWatcher,
    dir: PathBuf,
    files: [PathBuf; 2],
}

impl FileWatch {
    fn start(files: &[PathBuf; 2]) -> notify::Result<FileWatch> {
        let changed = Arc::new(Notify::new());
        let signal = changed.clone();
        let names: Vec<_> = files
            .iter()
            .filter_map(|f| f.file_name().map(ToOwned::to_owned))
            .collect();
        let mut watcher =
            notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
                let Ok(event) = event else {
                    // An overflow of the system's queue: something changed.
                    signal.notify_one();
                    return;
                };
                let written = matches!(
                    event.kind,
                    EventKind::Modify(_)
                        | EventKind::Create(_)
                        | EventKind::Remove(_)
                        | EventKind::Any
                );
                let ours = event.need_rescan()
                    || event
                        .paths
                        .iter()
                        .any(|p| p.file_name().is_some_and(|n| names.iter().any(|m| m == n)));
                if written && ours {
                    signal.notify_one();
                }
            })?;
        let dir = match files[0].parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        watcher.watch(&dir, notify::RecursiveMode::NonRecursive)?;
        Ok(FileWatch {
            changed,
            watcher,
            dir,
            files: files.clone(),
        })
    }

    /// Stop watching; the files' stamps, taken first, for `resume` to compare.
    fn pause(&mut self) -> Vec<Stamp> {
        let before = stamps(&self.files);
        if let Err(e) = self.watcher.unwatch(&self.dir) {
            tracing::debug!(error = %e, "pausing the watch on the database files");
        }
        before
    }

    /// Watch again; whether the files changed since `pause` gave `before`.
    fn resume(&mut self, before: &[Stamp]) -> notify::Result<bool> {
        self.watcher
            .watch(&self.dir, notify::RecursiveMode::NonRecursive)?;
        Ok(stamps(&self.files) != before)
    }
}

/// A file's size and time of last change, if it exists.
type Stamp = Option<(u64, Option<SystemTime>)>;

fn stamps(files: &[PathBuf]) -> Vec<Stamp> {
    files.iter().map(|f| stamp(f)).collect()
}

fn stamp(file: &Path) -> Stamp {
    std::fs::metadata(file)
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

/// The fallback: the files' size and time, four times a second.
async fn poll_files(files: &[PathBuf; 2], state: &AppState, mut stop: watch::Receiver<bool>) {
    let mut last = stamps(files);
    loop {
        tokio::select! {
            () = tokio::time::sleep(FILE_CHANGES_EVERY) => {},
            _ = stop.changed() => return,
        }
        let now = stamps(files);
        if now != last {
            last = now;
            state.wakeup.notify();
        }
    }
}

#[cfg(test)]
mod tests;
