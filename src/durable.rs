//! Making a batch of written files durable with one wait, not one `fsync`
//! each (an `fsync` commits the file system's journal: about 100 µs on a quiet
//! disk, milliseconds on a busy one, so 1,000 outputs paid seconds).
//!
//! The design, for the batch writer ([`crate::batch::write_all`]):
//!
//! 1. each output is written to a temporary file beside its target, and the
//!    kernel is asked to start writing it out ([`start`]: Linux
//!    `sync_file_range(WRITE)`, which queues the I/O and returns);
//! 2. once every output is written, [`wait`] waits until each one's data is
//!    on disk (`sync_file_range(WAIT_BEFORE | WRITE | WAIT_AFTER)`: the I/O is
//!    already under way, so this mostly returns at once);
//! 3. every temporary file is renamed over its target;
//! 4. [`sync_dirs`] fsyncs each target folder once, which makes the renames
//!    durable and, on a journaling file system that commits in order (ext4,
//!    XFS), commits the files' sizes and extents with them.
//!
//! A crash at any point leaves each target either as it was or fully
//! rewritten, and an error before step 3 leaves every target untouched. The
//! data never reaches a target name before it is on disk. What it does not do
//! is `syncfs`: that flushes every process's dirty data on the file system
//! (a build's `target/`, `node_modules/`), which costs seconds on a busy
//! machine. Other systems than Linux have no `sync_file_range`: there [`wait`]
//! fsyncs each file, as before.

use std::fs::File;
use std::io;
use std::path::Path;

/// Starts writing `file`'s data to disk, without waiting.
pub fn start(file: &File) {
    #[cfg(target_os = "linux")]
    {
        // Only a hint: an error here shows again in `wait`.
        let _ = sync_file_range(file, libc::SYNC_FILE_RANGE_WRITE);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = file;
}

/// Waits until the data of each file is on disk (the files named by `paths`,
/// written and [`start`]ed before).
pub fn wait<'a>(paths: impl IntoIterator<Item = &'a Path>) -> io::Result<()> {
    for path in paths {
        let file = File::open(path)?;
        #[cfg(target_os = "linux")]
        sync_file_range(
            &file,
            libc::SYNC_FILE_RANGE_WAIT_BEFORE
                | libc::SYNC_FILE_RANGE_WRITE
                | libc::SYNC_FILE_RANGE_WAIT_AFTER,
        )?;
        #[cfg(not(target_os = "linux"))]
        file.sync_all()?;
    }
    Ok(())
}

/// Fsyncs each folder once (duplicates are skipped).
pub fn sync_dirs<'a>(dirs: impl IntoIterator<Item = &'a Path>) -> io::Result<()> {
    let mut done = std::collections::HashSet::new();
    for dir in dirs {
        if done.insert(dir) {
            #[cfg(unix)]
            File::open(dir)?.sync_all()?;
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn sync_file_range(file: &File, flags: libc::c_uint) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: a plain system call on a file descriptor `file` keeps open for
    // the duration of the call; offset 0 and length 0 mean the whole file.
    let rc = unsafe { libc::sync_file_range(file.as_raw_fd(), 0, 0, flags) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_batch_is_written_waited_for_and_its_folder_synced() {
        let dir = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for i in 0..3 {
            let p = dir.path().join(format!("f{i}"));
            let mut f = File::create(&p).unwrap();
            f.write_all(format!("file {i}").as_bytes()).unwrap();
            start(&f);
            paths.push(p);
        }
        wait(paths.iter().map(|p| p.as_path())).unwrap();
        sync_dirs([dir.path(), dir.path()]).unwrap();
        assert_eq!(std::fs::read_to_string(&paths[2]).unwrap(), "file 2");
        // A file that is gone is an error, not a silent success.
        assert!(wait([dir.path().join("missing").as_path()]).is_err());
    }
}
