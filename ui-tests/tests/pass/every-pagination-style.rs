// Every pagination style with every option it takes, and every way to consume the stream:
// `try_next`, `try_collect`, `max_items`, `.pages()` (with `Page`'s accessors).
use restrait::{api, get, post, Paginated, Pagination, Result};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Event {
    pub id: String,
}

#[api(base = "https://events.example.com")]
pub trait Events {
    #[get("/events")]
    #[paginate(cursor, items = "data", next = "/meta/next_cursor", has_more = "has_more", param = "after", max_pages = 50, prefetch = 1)]
    fn by_cursor(&self, #[query] kind: Option<&str>) -> Paginated<Event>;

    #[get("/events/offset")]
    #[paginate(offset, items = "results", limit = 200, offset_param = "skip", limit_param = "take", total = "/meta/total", max_pages = 10, prefetch = 2)]
    fn by_offset(&self) -> Paginated<Event>;

    #[get("/events/pages")]
    #[paginate(page, items = "entries", per_page = 25, page_param = "p", per_page_param = "size", start = 0, max_pages = 4, prefetch = 0)]
    fn by_page(&self) -> Paginated<Event>;

    #[get("/repos/<owner>/events")]
    #[paginate(link, items = "events", max_pages = 100, prefetch = 1)]
    fn by_link(&self, owner: &str) -> Paginated<Event>;

    /// The defaults of each style.
    #[get("/events/all")]
    #[paginate(link)]
    fn all(&self) -> Paginated<Event>;

    /// Pagination with a request body (a search endpoint).
    #[post("/events/search")]
    #[paginate(cursor)]
    fn search(&self, #[body] query: &str) -> Paginated<Event>;
}

// Compiled, not run: these would make requests.
#[allow(dead_code)]
async fn consume(client: &EventsClient) -> Result<()> {
    let mut events = client.by_cursor(Some("push"));
    while let Some(event) = events.try_next().await? {
        let _: String = event.id;
    }
    let first_hundred: Vec<Event> = client.by_offset().max_items(100).try_collect().await?;
    let _ = first_hundred.len();
    let mut pages = client.by_page().pages();
    while let Some(page) = pages.try_next().await? {
        let _ = (page.number(), page.status(), page.headers(), page.meta(), page.items().len());
        let _: Vec<Event> = page.into_items();
    }
    let _ = client.by_link("rust-lang").try_collect().await?;
    Ok(())
}

fn main() {
    let styles: Vec<Option<Pagination>> = EventsClient::OPERATIONS.iter().map(|o| o.paginated).collect();
    assert_eq!(
        styles,
        [
            Some(Pagination::Cursor),
            Some(Pagination::Offset),
            Some(Pagination::Page),
            Some(Pagination::Link),
            Some(Pagination::Link),
            Some(Pagination::Cursor)
        ]
    );
}
