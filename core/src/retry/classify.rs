//! Classification: what the engine does with the outcome of one attempt.

use std::time::Duration;

use crate::error::{Error, ErrorKind, TimeoutKind};
use crate::response::RawResponse;

/// What to do after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// The attempt succeeded: decode it.
    Succeed,
    /// Send again, after the server's `Retry-After` when it gave one, else after backoff.
    Retry { after: Option<Duration>, reason: Reason },
    /// Give up with this outcome.
    Fail,
}

/// Why an attempt is retried, for the budget and for tracing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reason {
    Status(u16),
    Timeout,
    Connect,
}

impl Reason {
    pub(crate) fn as_str(self) -> String {
        match self {
            Reason::Status(s) => format!("status {s}"),
            Reason::Timeout => "timeout".into(),
            Reason::Connect => "connection failed".into(),
        }
    }
}

/// Statuses that say "try again": RFC 9110's 408, 429 and the transient 5xx.
pub(crate) fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Classifies an attempt. `retryable` says whether the method may be sent twice (idempotent by
/// method or by declaration). A request that provably never left the client (the connection
/// was never made) is safe to send again even when it is not idempotent.
pub(crate) fn classify<B>(outcome: &Result<RawResponse<B>, Error>, retryable: bool) -> Action {
    match outcome {
        Ok(response) if response.status.is_success() => Action::Succeed,
        Ok(response) => {
            let status = response.status.as_u16();
            if !retryable || !is_transient_status(status) {
                return Action::Fail;
            }
            let after = match status {
                429 | 503 => crate::response::retry_after(&response.headers),
                _ => None,
            };
            Action::Retry { after, reason: Reason::Status(status) }
        }
        Err(e) => {
            let reason = match (e.kind(), e.timeout()) {
                (ErrorKind::Connect, _) => Reason::Connect,
                // The total deadline is over: nothing is left to retry in.
                (ErrorKind::Timeout, Some((TimeoutKind::Total, _))) => return Action::Fail,
                (ErrorKind::Timeout, _) => Reason::Timeout,
                _ => return Action::Fail,
            };
            if retryable || !e.may_have_been_sent() {
                Action::Retry { after: None, reason }
            } else {
                Action::Fail
            }
        }
    }
}
