//! Scheduling: which of the pack pass's threads may scan while the history
//! walk still holds a core.

use std::sync::Mutex;

use super::lock;

/// Which threads of the pack pass may scan: while the history walk runs,
/// those of the cores it leaves free (the first threads to ask); once it is
/// done, all. A thread kept waiting holds its part of the delta tree until
/// then, and the others go on with theirs. When they have nothing left
/// (no thread let in has asked for [`GATE_IDLE`]), it is let in too:
/// gitoxide's threads with nothing left to do yield in a loop until the
/// others finish, burning the core the held thread could use. A held
/// thread also holds the packs after its own, so only the largest pack is
/// traversed with the gate.
///
/// Why a gate: the walk usually ends well before the pass, and without
/// one the pass ran on one thread beside it while the other core idled.
pub(super) struct ScanGate {
    /// Threads that may scan during the walk.
    free: usize,
    state: Mutex<GateState>,
    opened: std::sync::Condvar,
}

#[derive(Default)]
pub(super) struct GateState {
    /// Whether the walk is done.
    open: bool,
    /// The threads let in.
    admitted: Vec<std::thread::ThreadId>,
    /// When a thread let in last asked.
    last: Option<std::time::Instant>,
}

/// How long the threads let in may go without asking before a held thread
/// is let in too: they have run out of work (one blob's scan takes far
/// less).
pub(super) const GATE_IDLE: std::time::Duration = std::time::Duration::from_millis(250);

impl ScanGate {
    pub(super) fn new(free: usize) -> Self {
        ScanGate {
            free,
            state: Mutex::default(),
            opened: std::sync::Condvar::new(),
        }
    }

    /// Returns when the calling thread may scan.
    pub(super) fn enter(&self) {
        let me = std::thread::current().id();
        let mut state = lock(&self.state);
        loop {
            let now = std::time::Instant::now();
            if state.open {
                return;
            }
            if state.admitted.contains(&me) {
                state.last = Some(now);
                return;
            }
            let idle = state
                .last
                .is_some_and(|t| now.saturating_duration_since(t) >= GATE_IDLE);
            if state.admitted.len() < self.free || idle {
                state.admitted.push(me);
                state.last = Some(now);
                return;
            }
            state = self
                .opened
                .wait_timeout(state, GATE_IDLE)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }

    /// Forgets the threads let in (those of a traversal that is over).
    pub(super) fn let_in_anew(&self) {
        let mut state = lock(&self.state);
        state.admitted.clear();
        state.last = None;
    }

    /// Lets every thread scan once the returned guard is dropped.
    pub(super) fn opens_when_dropped(&self) -> impl Drop + '_ {
        struct Opens<'g>(&'g ScanGate);
        impl Drop for Opens<'_> {
            fn drop(&mut self) {
                lock(&self.0.state).open = true;
                self.0.opened.notify_all();
            }
        }
        Opens(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::Ordering;

    /// While the walk runs, only the first threads to ask may scan (as
    /// many as it leaves cores free); the others wait until it is done,
    /// however it ends, or until those let in stop asking.
    #[test]
    fn the_scan_gate_holds_threads_beyond_the_free_cores_until_the_walk_ends() {
        use std::sync::atomic::AtomicBool;
        use std::time::Duration;
        let gate = ScanGate::new(1);
        let open = gate.opens_when_dropped();
        let busy = AtomicBool::new(true);
        std::thread::scope(|s| {
            let (tx, rx) = std::sync::mpsc::channel();
            let (gate, busy) = (&gate, &busy);
            let (entered_tx, entered) = std::sync::mpsc::channel();
            // The thread let in keeps asking, as a thread with blobs to
            // scan does.
            s.spawn(move || {
                gate.enter();
                entered_tx.send(()).unwrap();
                while busy.load(Ordering::Relaxed) {
                    gate.enter();
                    std::thread::sleep(Duration::from_millis(10));
                }
            });
            entered.recv().unwrap();
            s.spawn(move || {
                gate.enter();
                tx.send(()).unwrap();
            });
            // Held: the one free place is taken, and its thread is busy.
            assert!(rx.recv_timeout(GATE_IDLE * 3).is_err());
            drop(open);
            assert!(rx.recv_timeout(Duration::from_secs(30)).is_ok());
            busy.store(false, Ordering::Relaxed);
        });

        // A thread let in once is let in again; when it stops asking, a
        // held thread is let in too, the walk still running.
        // (`open` is dropped once the answer is in, so a thread still held
        // then is let go and the test fails rather than hangs.)
        fn lets_in<Open>(gate: &ScanGate, open: Open) -> bool {
            std::thread::scope(|s| {
                let (tx, rx) = std::sync::mpsc::channel();
                s.spawn(move || {
                    gate.enter();
                    let _ = tx.send(());
                });
                let let_in = rx.recv_timeout(Duration::from_secs(30)).is_ok();
                drop(open);
                let_in
            })
        }
        let gate = ScanGate::new(1);
        gate.enter();
        gate.enter();
        assert!(
            lets_in(&gate, gate.opens_when_dropped()),
            "held though the thread let in stopped asking"
        );
        // After `let_in_anew`, another takes the free place.
        let gate = ScanGate::new(1);
        gate.enter();
        gate.let_in_anew();
        assert!(lets_in(&gate, gate.opens_when_dropped()));
    }
}
