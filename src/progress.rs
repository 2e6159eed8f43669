//! What the binary shows of a history audit as it runs: a progress bar on
//! a terminal, and with `KEYWARD_TIMINGS` set, when each stage ended (for
//! benchmarks). Both on stderr; stdout is the report's.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{HumanBytes, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use keyward::progress::{Progress, Stage};

/// Draws the audit's progress: blobs scanned of those found, the bytes
/// searched per second since the start, and the commits walked.
pub struct Bar {
    bar: Option<ProgressBar>,
    searched: Arc<AtomicU64>,
    commits: Arc<AtomicU64>,
    timings: bool,
}

impl Bar {
    /// A bar drawn when `show` (a terminal, not CI); stage times printed
    /// when `timings`.
    pub fn new(show: bool, timings: bool) -> Bar {
        let searched = Arc::new(AtomicU64::new(0));
        let commits = Arc::new(AtomicU64::new(0));
        let bar = show.then(|| draw(searched.clone(), commits.clone()));
        Bar {
            bar,
            searched,
            commits,
            timings,
        }
    }
}

fn draw(searched: Arc<AtomicU64>, commits: Arc<AtomicU64>) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    let rate = move |state: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(
            w,
            "{}/s",
            HumanBytes(per_second(
                searched.load(Ordering::Relaxed),
                state.elapsed()
            ))
        );
    };
    let walked = move |_: &ProgressState, w: &mut dyn std::fmt::Write| {
        let _ = write!(w, "{}", commits.load(Ordering::Relaxed));
    };
    let style = ProgressStyle::with_template(
        "{bar:30} {pos}/{len} blobs, {rate}, {commits} commits {elapsed}",
    )
    .expect("progress template is valid")
    .with_key("rate", rate)
    .with_key("commits", walked);
    bar.set_style(style);
    // Redrawn on a timer too: a run of commits that bring no new blob
    // would otherwise leave the commit count standing.
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

/// `bytes` over `elapsed`, per second (0 before any time has passed).
fn per_second(bytes: u64, elapsed: Duration) -> u64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 {
        (bytes as f64 / secs) as u64
    } else {
        0
    }
}

impl Progress for Bar {
    fn blobs_found(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc_length(n);
        }
    }

    fn blob_done(&self) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
    }

    fn bytes_searched(&self, n: u64) {
        self.searched.fetch_add(n, Ordering::Relaxed);
    }

    fn commit_walked(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    fn stage_done(&self, stage: Stage, elapsed: Duration) {
        if self.timings {
            eprintln!(
                "timing: {} done {:.2} s",
                stage.as_str(),
                elapsed.as_secs_f64()
            );
        }
    }

    fn finished(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
