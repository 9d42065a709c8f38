//! What a tool call sent: the engine adds each call's requests and final status here while
//! `call_tool` runs an operation, so that a success reports them as a failure does (its error
//! carries them). A task-local, as the dry run's capture is, so that the trait's method is
//! called as any caller calls it; a pager's task, which reads the pages of the same call,
//! carries it along ([`current`], [`within`]).

use std::future::Future;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::error::Error;
use crate::response::RawResponse;

tokio::task_local! {
    static SENT: Arc<Tally>;
}

/// The counts of one tool call, shared by the tasks that work for it.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// The last status that came, 0 while none has.
    status: AtomicU32,
    attempts: AtomicU32,
}

/// The requests a tool call sent, and the status of the last response that came.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sent {
    pub(crate) status: Option<u16>,
    pub(crate) attempts: u32,
}

/// Runs `call`, counting what the engine sends for it.
pub(crate) async fn count<F: Future>(call: F) -> (F::Output, Sent) {
    let tally = Arc::new(Tally::default());
    let outcome = SENT.scope(tally.clone(), call).await;
    let status = u16::try_from(tally.status.load(Ordering::Acquire)).ok().filter(|s| *s != 0);
    (outcome, Sent { status, attempts: tally.attempts.load(Ordering::Acquire) })
}

/// Adds one call's `attempts` and its outcome's status, when a tool call is being counted.
pub(crate) fn add<B>(outcome: &Result<RawResponse<B>, Error>, attempts: u32) {
    let _ = SENT.try_with(|tally| {
        let status = match outcome {
            Ok(response) => Some(response.status),
            Err(e) => e.status(),
        };
        if let Some(status) = status {
            tally.status.store(u32::from(status.as_u16()), Ordering::Release);
        }
        tally.attempts.fetch_add(attempts, Ordering::AcqRel);
    });
}

/// The tally of the tool call this task works for, if any.
pub(crate) fn current() -> Option<Arc<Tally>> {
    SENT.try_with(Arc::clone).ok()
}

/// `work` counted into `tally`: for a task spawned for the same call.
pub(crate) fn within<F: Future>(tally: Arc<Tally>, work: F) -> impl Future<Output = F::Output> {
    SENT.scope(tally, work)
}
