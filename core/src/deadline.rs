//! The deadline of one attempt: a tokio timer, reused from attempt to attempt.
//!
//! Every attempt needs a timer, and registering one with tokio's time driver and removing it
//! again costs more than all the engine's other steps together (≈2 µs per call on the
//! benchmark's VM, against ≈1 µs), while moving a registered timer's deadline later is one
//! atomic store (`Sleep::reset`). So each thread keeps the timers that finished attempts leave
//! behind, for the runtime it last ran them in, and an attempt takes one and moves its
//! deadline: under steady traffic, calls do not touch the timer wheel.
//!
//! What a kept timer costs: it stays registered until its last deadline passes (at most one
//! total timeout after the attempt that used it), then fires into the waker of the task that
//! polled it last, which is a spurious wake-up, or nothing if that task is done; until then it
//! holds that waker, which keeps a finished task's allocation alive. A thread keeps at most
//! [`KEEP`] timers, and drops them when it runs restrait in another runtime. With tokio's time
//! paused, an idle runtime may advance its clock to a kept timer's deadline, as it would to any
//! other pending timer.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::time::Duration;

use tokio::runtime::{Handle, Id};
use tokio::time::{Instant, Sleep};

/// How many timers a thread keeps: as many attempts as a thread usually has in flight at once.
/// More concurrent attempts register timers of their own, as tokio's `timeout` would.
const KEEP: usize = 16;

/// How far away "never" is: what [`after`] gives when the sum cannot be represented (tokio's
/// own "far future" is as far).
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `now + length`, or an instant decades away when that sum cannot be represented. A length
/// may come from a configuration or a server (`Retry-After: 18446744073709551615`), and
/// `Instant`'s `+` panics on overflow.
pub(crate) fn after(now: Instant, length: Duration) -> Instant {
    now.checked_add(length).unwrap_or_else(|| now + FAR)
}

/// `inner`, unless its deadline passes first.
pub(crate) fn deadline<F: Future>(at: Instant, inner: F) -> Deadline<F> {
    Deadline { inner, timer: Timer::new(at) }
}

pin_project_lite::pin_project! {
    /// The future of [`deadline`]: `Err(Elapsed)` when the deadline passes first.
    pub(crate) struct Deadline<F> {
        #[pin]
        inner: F,
        timer: Timer,
    }
}

/// The deadline passed before the future finished.
#[derive(Debug)]
pub(crate) struct Elapsed;

impl<F: Future> Future for Deadline<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // The work first, as tokio's `timeout` does: a result that is ready is not lost to a
        // deadline that passed while it was being produced.
        if let Poll::Ready(output) = this.inner.poll(cx) {
            return Poll::Ready(Ok(output));
        }
        match this.timer.sleep.as_mut() {
            Some(sleep) => sleep.as_mut().poll(cx).map(|()| Err(Elapsed)),
            // Only dropping takes the timer.
            None => Poll::Pending,
        }
    }
}

/// A timer taken from this thread's kept ones, or a new one; kept again when dropped.
struct Timer {
    sleep: Option<Pin<Box<Sleep>>>,
    /// The runtime whose time driver the timer is registered with.
    runtime: Option<Id>,
}

impl Timer {
    fn new(at: Instant) -> Self {
        let runtime = Handle::try_current().ok().map(|handle| handle.id());
        let kept = runtime.and_then(|id| KEPT.try_with(|kept| kept.borrow_mut().take(id)).ok().flatten());
        let sleep = match kept {
            Some(mut sleep) => {
                sleep.as_mut().reset(at);
                sleep
            }
            None => Box::pin(tokio::time::sleep_until(at)),
        };
        Timer { sleep: Some(sleep), runtime }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        let (Some(sleep), Some(runtime)) = (self.sleep.take(), self.runtime) else { return };
        // Gone when the thread is exiting: the timer is then simply dropped.
        let _ = KEPT.try_with(|kept| kept.borrow_mut().keep(runtime, sleep));
    }
}

/// The timers one thread keeps, all of one runtime.
struct Kept {
    runtime: Option<Id>,
    timers: Vec<Pin<Box<Sleep>>>,
}

impl Kept {
    const fn new() -> Self {
        Kept { runtime: None, timers: Vec::new() }
    }

    fn take(&mut self, runtime: Id) -> Option<Pin<Box<Sleep>>> {
        if self.runtime != Some(runtime) {
            return None;
        }
        self.timers.pop()
    }

    fn keep(&mut self, runtime: Id, sleep: Pin<Box<Sleep>>) {
        if self.runtime != Some(runtime) {
            // The thread now serves another runtime: the old one's timers are of no more use,
            // and would keep its driver alive.
            self.timers.clear();
            self.runtime = Some(runtime);
        }
        if self.timers.len() < KEEP {
            self.timers.push(sleep);
        }
    }
}

thread_local! {
    static KEPT: RefCell<Kept> = const { RefCell::new(Kept::new()) };
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap()
    }

    fn timer(rt: &tokio::runtime::Runtime) -> Pin<Box<Sleep>> {
        let _entered = rt.enter();
        Box::pin(tokio::time::sleep(Duration::from_secs(30)))
    }

    #[test]
    fn a_thread_keeps_at_most_keep_timers_and_only_of_one_runtime() {
        let (first, second) = (runtime(), runtime());
        let mut kept = Kept::new();
        for _ in 0..KEEP + 4 {
            kept.keep(first.handle().id(), timer(&first));
        }
        assert_eq!(kept.timers.len(), KEEP);
        assert!(kept.take(second.handle().id()).is_none(), "another runtime's timer was handed out");
        kept.keep(second.handle().id(), timer(&second));
        assert_eq!(kept.timers.len(), 1, "the first runtime's timers are still kept");
        assert!(kept.take(first.handle().id()).is_none());
        assert!(kept.take(second.handle().id()).is_some());
    }
}
