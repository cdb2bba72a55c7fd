//! The small disk: one node keeps its state (ledger, hard state, secrets) on a tmpfs of a few
//! hundred MiB mounted for the run, which the disk-full nemesis fills to the last byte. The
//! node must then stop with an error or refuse work, never write a damaged ledger; once the
//! filler is removed it is restarted and must recover from what it wrote. A tmpfs rather than a
//! loop device: no image file, no mkfs, and ENOSPC arrives exactly when the size is reached.

use std::fs::{self, File};
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::command::run;

/// The filler's name inside the mount.
const FILL_FILE: &str = "chaos-fill";

/// A mounted tmpfs (unmounted by the run's guard, which finds it by its source name).
pub struct SmallDisk {
    pub mount_point: PathBuf,
    pub size_mib: u64,
}

impl SmallDisk {
    /// Mounts a tmpfs of `size_mib` MiB named `source` at `mount_point` (created if missing).
    pub fn mount(source: &str, mount_point: &Path, size_mib: u64) -> anyhow::Result<SmallDisk> {
        fs::create_dir_all(mount_point)
            .with_context(|| format!("creating {}", mount_point.display()))?;
        let target = mount_point.to_string_lossy();
        run(
            "mount",
            &[
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size_mib}m,mode=0700"),
                source,
                &target,
            ],
        )?;
        Ok(SmallDisk {
            mount_point: mount_point.to_path_buf(),
            size_mib,
        })
    }

    /// Writes zeros until the disk is full; the bytes written.
    pub fn fill(&self) -> anyhow::Result<u64> {
        let path = self.mount_point.join(FILL_FILE);
        let mut file =
            File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let chunk = vec![0u8; 1 << 20];
        let mut written = 0u64;
        loop {
            match file.write(&chunk) {
                Ok(0) => break,
                Ok(n) => written += n as u64,
                Err(error) if error.raw_os_error() == Some(28) => break,
                Err(error) if error.kind() == ErrorKind::Interrupted => {}
                Err(error) => {
                    return Err(error).with_context(|| format!("filling {}", path.display()));
                }
            }
        }
        // Whatever is still free (less than one chunk) goes in small writes.
        let small = [0u8; 512];
        while let Ok(n) = file.write(&small) {
            if n == 0 {
                break;
            }
            written += n as u64;
        }
        Ok(written)
    }

    /// Removes the filler.
    pub fn free(&self) -> anyhow::Result<()> {
        let path = self.mount_point.join(FILL_FILE);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(()),
            Err(error) => Err(error).with_context(|| format!("removing {}", path.display())),
        }
    }
}
