//! Relative paths in a config file are resolved against the directory holding the file (CCF
//! resolves them against the process's working directory instead). A config then means the same
//! thing whichever directory `quorate node start` is run from, which is what lets the sandbox and
//! the tests write a workspace of configs and start nodes from anywhere.

use std::path::{Path, PathBuf};

/// Makes `path` absolute-from-`base` if it is relative; absolute paths are left as written.
pub(crate) fn resolve_against(base: &Path, path: &mut PathBuf) {
    if path.is_relative() {
        *path = base.join(&*path);
    }
}
