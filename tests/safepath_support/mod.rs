//! Shared by the SafePath integration tests: the example's service module, a temporary
//! directory, and the vault opened on it.

#[allow(dead_code, unreachable_pub)]
#[path = "../../examples/safepath/service/mod.rs"]
pub mod service;

use std::path::{Path, PathBuf};

use service::vault::Vault;

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh directory named after the test and the process.
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("safepath-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The demo's vault in `dir`, with the demo master key.
pub fn open(dir: &Path) -> Vault {
    Vault::open(&dir.join("safepath.sqlite"), service::demo_master_key()).expect("open vault")
}
