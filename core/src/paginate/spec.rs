//! What `#[paginate(...)]` declared, as a constant the macro emits.

use crate::operation::Pagination;

/// The pagination of one method. Field names and JSON pointers (`"/meta/next"`) are both
/// accepted wherever a location in the body is asked for.
#[derive(Debug, Clone, Copy)]
pub struct PageSpec {
    /// The style.
    pub style: Pagination,
    /// Where the items are; `None`: the body itself when it is an array, else `data`.
    pub items: Option<&'static str>,
    /// Cursor: where the next cursor is.
    pub next: &'static str,
    /// Cursor: where a `has_more` flag is (a missing one is ignored).
    pub has_more: &'static str,
    /// Cursor: the query parameter that carries the cursor.
    pub cursor_param: &'static str,
    /// Offset and page: the page size, sent on every request.
    pub size: u64,
    /// Offset and page: the query parameter of the page size.
    pub size_param: &'static str,
    /// Offset: the offset parameter; page: the page number parameter.
    pub position_param: &'static str,
    /// Page: the number of the first page.
    pub start: u64,
    /// Offset: where the total number of items is, if the API says.
    pub total: Option<&'static str>,
    /// At most this many pages are fetched.
    pub max_pages: Option<u32>,
    /// Pages fetched ahead of the one being consumed.
    pub prefetch: u32,
}
