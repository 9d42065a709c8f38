//! Pagination: a `#[paginate]` method returns [`Paginated<T>`], a lazy stream of items that
//! fetches each page through the full engine (rate limit, retries, deadlines) only when the
//! consumer needs it, or `prefetch` pages ahead.
//!
//! Pages are fetched by a task (so that a prefetched page downloads while the consumer is busy)
//! that waits for demand: it holds a permit per page it may fetch; the stream grants one when
//! the consumer runs out of items, plus `prefetch` at the start. Dropping the stream aborts the
//! task, so no request follows.

mod link;
pub(crate) mod pager;
pub(crate) mod spec;

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use http::{HeaderMap, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tracing::Instrument;

use crate::error::{Error, Result};
use pager::Pager;

/// One page of a paginated collection.
#[derive(Debug, Clone)]
pub struct Page<T> {
    items: Vec<T>,
    meta: Value,
    status: StatusCode,
    headers: HeaderMap,
    number: u32,
}

impl<T> Page<T> {
    /// The page's items.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// The page's items, consuming the page.
    pub fn into_items(self) -> Vec<T> {
        self.items
    }

    /// The rest of the page's body (cursors, totals, links), with the items taken out.
    pub fn meta(&self) -> &Value {
        &self.meta
    }

    /// The response status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// 1 for the first page.
    pub fn number(&self) -> u32 {
        self.number
    }
}

/// Where pages come from: a walk not started yet, one running in its task, or an error found
/// before the first request.
enum Source<T> {
    Idle(Box<Pager<T>>, u32),
    Running { pages: mpsc::Receiver<Result<Page<T>>>, demand: Arc<Semaphore>, _task: AbortOnDrop, waiting: bool },
    Failed(Error),
    Done,
}

impl<T: DeserializeOwned + Send + 'static> Source<T> {
    fn poll_page(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Page<T>>>> {
        loop {
            match self {
                Source::Idle(..) => {
                    let Source::Idle(pager, prefetch) = std::mem::replace(self, Source::Done) else { unreachable!() };
                    let (tx, rx) = mpsc::channel(prefetch as usize + 1);
                    let demand = Arc::new(Semaphore::new(prefetch as usize));
                    let drive = drive(*pager, demand.clone(), tx).instrument(tracing::Span::current());
                    // A tool call (feature `schema`) counts the pages' requests too.
                    #[cfg(feature = "schema")]
                    let task = match crate::describe::tally::current() {
                        Some(tally) => tokio::spawn(crate::describe::tally::within(tally, drive)),
                        None => tokio::spawn(drive),
                    };
                    #[cfg(not(feature = "schema"))]
                    let task = tokio::spawn(drive);
                    *self = Source::Running { pages: rx, demand, _task: AbortOnDrop(task), waiting: false };
                }
                Source::Running { pages, demand, waiting, .. } => {
                    if !*waiting {
                        demand.add_permits(1);
                        *waiting = true;
                    }
                    return match pages.poll_recv(cx) {
                        Poll::Ready(Some(page)) => {
                            *waiting = false;
                            if page.is_err() {
                                *self = Source::Done;
                            }
                            Poll::Ready(Some(page))
                        }
                        Poll::Ready(None) => {
                            *self = Source::Done;
                            Poll::Ready(None)
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
                Source::Failed(_) => {
                    let Source::Failed(e) = std::mem::replace(self, Source::Done) else { unreachable!() };
                    return Poll::Ready(Some(Err(e)));
                }
                Source::Done => return Poll::Ready(None),
            }
        }
    }
}

/// The page task, stopped when the stream is dropped or finished early.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The page task: one page per permit, until the last page, an error, or the stream is gone.
async fn drive<T: DeserializeOwned>(mut pager: Pager<T>, demand: Arc<Semaphore>, pages: mpsc::Sender<Result<Page<T>>>) {
    loop {
        match demand.acquire().await {
            Ok(permit) => permit.forget(),
            Err(_) => return,
        }
        let page = pager.fetch_next().await;
        let last = !matches!(page, Ok(Some(_)));
        match page.transpose() {
            Some(page) => {
                if pages.send(page).await.is_err() {
                    return;
                }
            }
            None => return,
        }
        if last {
            return;
        }
    }
}

/// A lazy stream of the items of a paginated collection: `Stream<Item = Result<T>>`.
///
/// A page is requested only when the consumer has used up the previous one (or, with
/// `#[paginate(prefetch = n)]`, `n` pages ahead). A page that fails after the engine's retries
/// ends the stream with that error; items already yielded stay yielded. `Paginated` is `Send`
/// and `'static`, so it can be moved into a task.
///
/// ```no_run
/// # use restrait::{api, get, Paginated};
/// # #[derive(serde::Deserialize)] struct Issue { number: u64 }
/// # #[api(base = "https://api.github.com")]
/// # trait GitHub {
/// #     #[get("/repos/<owner>/<repo>/issues")]
/// #     #[paginate(link)]
/// #     fn issues(&self, owner: &str, repo: &str) -> Paginated<Issue>;
/// # }
/// # async fn demo(gh: GitHubClient) -> restrait::Result<()> {
/// let mut issues = gh.issues("rust-lang", "rust").max_items(100);
/// while let Some(issue) = issues.try_next().await? {
///     println!("#{}", issue.number);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Paginated<T> {
    source: Source<T>,
    buffer: VecDeque<T>,
    remaining: Option<usize>,
}

// Nothing in `Paginated` is structurally pinned: it is moved freely between polls.
impl<T> Unpin for Paginated<T> {}

impl<T> fmt::Debug for Paginated<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Paginated")
            .field("buffered", &self.buffer.len())
            .field("remaining", &self.remaining)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Send + 'static> Paginated<T> {
    pub(crate) fn new(pager: Pager<T>, prefetch: u32) -> Self {
        Paginated { source: Source::Idle(Box::new(pager), prefetch), buffer: VecDeque::new(), remaining: None }
    }

    pub(crate) fn failed(error: Error) -> Self {
        Paginated { source: Source::Failed(error), buffer: VecDeque::new(), remaining: None }
    }

    /// Stops after `n` items: no page beyond the one holding the `n`th item is requested.
    pub fn max_items(mut self, n: usize) -> Self {
        self.remaining = Some(n);
        self
    }

    /// Whole pages instead of items.
    pub fn pages(self) -> Pages<T> {
        Pages { source: self.source }
    }

    /// The next item, `None` after the last one.
    pub async fn try_next(&mut self) -> Result<Option<T>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await.transpose()
    }

    /// Every item, or the first error.
    pub async fn try_collect(mut self) -> Result<Vec<T>> {
        let mut all = Vec::new();
        while let Some(item) = self.try_next().await? {
            all.push(item);
        }
        Ok(all)
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for Paginated<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.remaining == Some(0) {
                // Done early: stop the page task so no further request is made.
                this.source = Source::Done;
                return Poll::Ready(None);
            }
            if let Some(item) = this.buffer.pop_front() {
                if let Some(n) = &mut this.remaining {
                    *n -= 1;
                }
                return Poll::Ready(Some(Ok(item)));
            }
            match this.source.poll_page(cx) {
                Poll::Ready(Some(Ok(page))) => this.buffer = page.items.into(),
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// A stream of whole pages: [`Paginated::pages`].
pub struct Pages<T> {
    source: Source<T>,
}

impl<T> Unpin for Pages<T> {}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned + Send + 'static> Pages<T> {
    /// The next page, `None` after the last one.
    pub async fn try_next(&mut self) -> Result<Option<Page<T>>> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await.transpose()
    }
}

impl<T: DeserializeOwned + Send + 'static> Stream for Pages<T> {
    type Item = Result<Page<T>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().source.poll_page(cx)
    }
}

/// Used by generated code: starts a paginated call.
pub fn paginate<T: crate::decode::JsonBody + Send + 'static>(
    call: crate::call::Call<'_, crate::client::Client>,
    spec: &'static spec::PageSpec,
) -> Paginated<T> {
    start(call, spec, None)
}

/// Used by generated code under `#[validate]`: [`paginate`], with each item checked.
pub fn paginate_validated<T: crate::decode::JsonBody + crate::validate::MustValidate + Send + 'static>(
    call: crate::call::Call<'_, crate::client::Client>,
    spec: &'static spec::PageSpec,
) -> Paginated<T> {
    start(call, spec, Some(<T as crate::validate::MustValidate>::violations))
}

/// Prepares the first page's request and starts the pager, checking each item with `check`.
fn start<T: crate::decode::JsonBody + Send + 'static>(
    call: crate::call::Call<'_, crate::client::Client>,
    spec: &'static spec::PageSpec,
    check: crate::validate::Check<T>,
) -> Paginated<T> {
    let client = call.client.clone();
    let endpoint = call.endpoint;
    match crate::engine::prepare(call) {
        Ok(template) => Paginated::new(Pager::new(client, endpoint, spec, template).checking(check), spec.prefetch),
        Err(e) => Paginated::failed(e),
    }
}
