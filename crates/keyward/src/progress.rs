//! How a long scan tells its caller how it is going. The library never
//! writes to stdout or stderr: it calls a [`Progress`] from its threads,
//! and the binary draws a bar, prints stage times, or nothing.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What a history audit reports as it goes. Called from several threads at
/// once; every method has a default that does nothing.
pub trait Progress: Send + Sync {
    /// `n` more blobs are to be scanned.
    fn blobs_found(&self, _n: u64) {}
    /// One of them was scanned, taken from the cache, or skipped.
    fn blob_done(&self) {}
    /// `n` bytes were read and searched (not those taken from the cache).
    fn bytes_searched(&self, _n: u64) {}
    /// One more commit was walked.
    fn commit_walked(&self) {}
    /// A stage of the audit ended, `elapsed` after the scan started.
    fn stage_done(&self, _stage: Stage, _elapsed: Duration) {}
    /// The scan is over: nothing more will be reported.
    fn finished(&self) {}
}

/// The stages of a history audit, in the order they end (the walk and the
/// pack pass run side by side, either may end first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The history walk listed every unique blob and scanned the messages.
    Walk,
    /// Every blob of the packs was decoded and scanned.
    PackPass,
    /// Each blob the walk found took its findings (or was read on its own).
    Settle,
    /// Findings were grouped by fingerprint and dated on the default branch.
    Lifecycles,
    /// Env files ever committed were listed.
    EnvHistory,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Walk => "walk",
            Stage::PackPass => "pack pass",
            Stage::Settle => "blobs settled",
            Stage::Lifecycles => "lifecycles",
            Stage::EnvHistory => "env history",
        }
    }
}

/// Progress nobody watches.
struct Quiet;

impl Progress for Quiet {}

/// The [`Progress`] a scan reports to; by default, nobody.
#[derive(Clone)]
pub struct Observer(Arc<dyn Progress>);

impl Observer {
    pub fn new(progress: impl Progress + 'static) -> Observer {
        Observer(Arc::new(progress))
    }
}

impl Default for Observer {
    fn default() -> Observer {
        Observer(Arc::new(Quiet))
    }
}

impl fmt::Debug for Observer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Observer")
    }
}

impl std::ops::Deref for Observer {
    type Target = dyn Progress;

    fn deref(&self) -> &(dyn Progress + 'static) {
        &*self.0
    }
}
