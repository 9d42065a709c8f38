//! The restrait quickstart: `cargo run --example quickstart`.
//!
//! Starts the demo bookshop API on a loopback port (or uses `RESTRAIT_DEMO_URL` when set),
//! builds the [`BookshopClient`] that `#[api]` generated from the `Bookshop` trait
//! (examples/src/bookshop.rs), and walks through what a client does: typed calls, a JSON
//! body, headers, errors a program can act on, and the operations table.
//!
//! Each section is one function below, so that a section is easy to find, change or add.

use std::error::Error as StdError;
use std::time::Instant;

use restrait::multipart::Part;
use restrait::ErrorKind;
use restrait_examples::bookshop::{ApiError, Bookshop, BookshopClient, NewBook};
use restrait_examples::demo_server::DemoServer;

/// Any error a section can end with; a failure ends the quickstart with a non-zero status.
type Failure = Box<dyn StdError + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    match std::env::var("RESTRAIT_DEMO_URL") {
        Ok(url) if !url.is_empty() => run(&url).await,
        _ => {
            let server = DemoServer::start().await?;
            let outcome = run(server.base_url()).await;
            server.shutdown().await;
            outcome
        }
    }
}

/// Every section, in order, against the bookshop API at `base_url`. Public so that
/// `examples/tests/quickstart.rs` can run the quickstart as a test.
pub async fn run(base_url: &str) -> Result<(), Failure> {
    println!("restrait quickstart: the Bookshop client against the demo API at {base_url}");
    let shop = BookshopClient::builder().base_url(base_url).build()?;

    typed_calls(&shop).await?;
    create_update_delete(&shop).await?;
    headers_and_responses(&shop).await?;
    status_errors(&shop).await?;
    decode_errors(&shop).await?;
    timeouts(&shop).await?;
    retries(&shop).await?;
    rate_limits(&shop).await?;
    pagination(&shop).await?;
    operations();
    println!("\nDone.");
    Ok(())
}

fn section(title: &str) {
    println!("\n== {title} ==");
}

fn price(cents: u32) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

/// Calls return the declared Rust types, decoded from JSON.
async fn typed_calls(shop: &BookshopClient) -> Result<(), Failure> {
    section("1. Typed calls");
    let books = shop.list_books(None, None).await?;
    println!("list_books(None, None) -> Vec<Book> with {} books:", books.len());
    for b in &books {
        println!("  #{:<2} {:<32} {:<44} {} {:>7}", b.id, b.title, b.author, b.year, price(b.price_cents));
    }

    let by_author = shop.list_books(Some("gjengset"), Some(5)).await?;
    let titles: Vec<&str> = by_author.iter().map(|b| b.title.as_str()).collect();
    println!("list_books(Some(\"gjengset\"), Some(5)) -> {titles:?}   (query: ?author=gjengset&limit=5)");

    let book = shop.book(2).await?;
    println!("book(2) -> {:?} by {}, tags {:?}", book.title, book.author, book.tags);
    Ok(())
}

/// A `#[body]` argument is sent as JSON; `Result<Response<T>>` keeps status and headers.
async fn create_update_delete(shop: &BookshopClient) -> Result<(), Failure> {
    section("2. Creating, updating and deleting");
    let new = NewBook {
        title: "Hands-on Rust",
        author: "Herbert Wolverson",
        year: 2021,
        price_cents: 4795,
        tags: vec!["rust", "games"],
    };
    let (status, headers, book) = shop.create_book(&new).await?.into_parts();
    let location = headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("-");
    println!(
        "create_book(&NewBook {{ title: {:?}, .. }}) -> {status}, Location: {location}, id {}",
        book.title, book.id
    );

    let cheaper = NewBook { price_cents: 2995, ..new };
    let updated = shop.update_book(book.id, &cheaper).await?;
    println!("update_book({}, ..) -> price now {}", updated.id, price(updated.price_cents));

    // A multipart upload: the cover as a file part, the caption as a text part.
    let cover = Part::bytes(&b"\x89PNG\r\n\x1a\n(a tiny stand-in for an image)"[..])
        .file_name("cover.png")
        .content_type("image/png");
    let receipt = shop.upload_cover(book.id, cover, Some("First edition")).await?;
    println!(
        "upload_cover({}, cover.png, caption) -> {} bytes of {} received, caption {:?}",
        book.id,
        receipt.bytes,
        receipt.content_type.as_deref().unwrap_or("-"),
        receipt.caption.as_deref().unwrap_or("-")
    );

    shop.delete_book(book.id).await?;
    let gone = shop.book(book.id).await.map(|_| ()).map_err(|e| e.kind());
    println!("delete_book({}) -> Ok(()); book({}) afterwards -> {gone:?}", book.id, book.id);
    Ok(())
}

/// Static headers from `#[header("Name: value")]`, per-call headers from
/// `#[header("Name")]` arguments.
async fn headers_and_responses(shop: &BookshopClient) -> Result<(), Failure> {
    section("3. Headers");
    let echo = shop.echo_headers(Some("req-42")).await?;
    println!("echo_headers(Some(\"req-42\")) -> {} ; the server received:", echo.status());
    for name in ["accept", "x-client-example", "x-request-id", "user-agent"] {
        let value = echo.body().headers.get(name).map_or("(none)", String::as_str);
        println!("  {name:<17} {value}");
    }
    Ok(())
}

/// A non-2xx answer is an `Err` with a kind to match on and the API's error body decoded
/// into `#[api(error = ApiError)]`.
async fn status_errors(shop: &BookshopClient) -> Result<(), Failure> {
    section("4. Errors: the server said no");
    let err = shop.book(999).await.expect_err("the demo API has no book 999");
    println!("book(999):");
    println!("  kind()      = {:?}", err.kind());
    println!("  status()    = {:?}", err.status());
    if let Some(api) = err.api_error::<ApiError>() {
        println!("  api_error() = ApiError {{ code: {:?}, message: {:?} }}", api.code, api.message);
    }
    println!("  retryable?  = {}", err.is_retryable());
    println!("  Display     = {err}");
    if err.kind() == ErrorKind::NotFound {
        println!("  -> a program can match ErrorKind::NotFound and, say, offer to create the book");
    }

    let invalid = NewBook { title: "", author: "Nobody", year: 2024, price_cents: 0, tags: vec![] };
    let err = shop.create_book(&invalid).await.expect_err("the demo API rejects an empty title");
    let code = err.api_error::<ApiError>().map_or("-", |e| e.code.as_str());
    println!("create_book(title: \"\") -> kind {:?}, status {:?}, code {code:?}", err.kind(), err.status());

    // The same book through a method under #[validate]: NewBook's garde rules are checked
    // first, so the mistake is caught without a request.
    let err = shop
        .create_book_checked(&NewBook { year: 1066, ..invalid })
        .await
        .expect_err("NewBook's rules reject an empty title and a year before printing");
    let broken: Vec<String> = err.violations().iter().map(|v| format!("{}: {}", v.path, v.message)).collect();
    println!("create_book_checked(title: \"\", year: 1066) -> kind {:?}, requests sent {}", err.kind(), err.attempts());
    println!("  violations() = {broken:?}");
    Ok(())
}

/// A 2xx body that does not match the declared type names the failing field.
async fn decode_errors(shop: &BookshopClient) -> Result<(), Failure> {
    section("5. Errors: the body does not match the type");
    let err = shop.bestsellers().await.expect_err("the demo API sends a price as a string");
    println!("bestsellers():");
    println!("  kind()      = {:?}", err.kind());
    if let Some(d) = err.decode_details() {
        println!("  field path  = {}", d.path);
        println!("  position    = line {}, column {}", d.line, d.column);
        println!("  near        = {}", d.snippet);
    }
    println!("  Display     = {err}");
    Ok(())
}

/// `#[timeout("300ms")]` bounds the whole call.
async fn timeouts(shop: &BookshopClient) -> Result<(), Failure> {
    section("6. Timeouts");
    let started = Instant::now();
    let err = shop.slow(2_000).await.expect_err("the server answers after the 300 ms deadline");
    println!(
        "slow(2000) with #[timeout(\"300ms\")] -> kind {:?} after {} ms",
        err.kind(),
        started.elapsed().as_millis()
    );
    println!("  timeout()   = {:?}", err.timeout());
    println!("  Display     = {err}");
    let ok = shop.slow(10).await?;
    println!("slow(10) -> {ok:?}");
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Sections for features being built now. Each prints what the engine does today, whatever
// that is; replace its body to show the feature's attributes once they land (`#[retry]`,
// `#[rate_limit]`, `#[paginate]`).
// ---------------------------------------------------------------------------------------

/// Transient failures are retried: `/flaky` answers 503 to the first requests of a key.
/// `flaky` declares `#[retry(max_attempts = 4, base_delay = "50ms")]`.
async fn retries(shop: &BookshopClient) -> Result<(), Failure> {
    section("7. Retries");
    let started = Instant::now();
    let answer = shop.flaky("quickstart", Some(2)).await?;
    println!(
        "flaky(key, failures = 2) -> Ok after {} ms; the server saw {} requests (two 503s, then 200)",
        started.elapsed().as_millis(),
        answer.attempt
    );
    let err = shop.flaky("quickstart-hopeless", Some(10)).await.unwrap_err();
    println!(
        "flaky(key, failures = 10) -> kind {:?}, status {:?}, attempts() = {}, is_retryable() = {}",
        err.kind(),
        err.status(),
        err.attempts(),
        err.is_retryable()
    );
    println!("  Display = {err}");
    let book = shop
        .create_book_once(&NewBook {
            title: "Rust Atomics and Locks",
            author: "Mara Bos",
            year: 2023,
            price_cents: 4499,
            tags: vec!["rust"],
        })
        .await?;
    println!("create_book_once(..) -> id {}: a POST with #[idempotency_key], so it may be retried", book.id);
    Ok(())
}

/// Client-side quotas and the server's own: `book_paced` declares
/// `#[rate_limit(per_second = 5, burst = 2)]`; `/limited` answers 429 with `Retry-After: 1`.
async fn rate_limits(shop: &BookshopClient) -> Result<(), Failure> {
    section("8. Rate limits");
    let started = Instant::now();
    let mut at = Vec::new();
    for id in [1, 2, 3, 4, 5, 1, 2] {
        shop.book_paced(id).await?;
        at.push(format!("{}ms", started.elapsed().as_millis()));
    }
    println!("7 calls to book_paced (5/s, burst 2) left at: {}", at.join(", "));
    let started = Instant::now();
    let answer = shop.limited("quickstart", Some(1)).await?;
    println!(
        "limited(key, failures = 1) -> Ok after {} ms: the 429's Retry-After: 1 was obeyed ({} requests)",
        started.elapsed().as_millis(),
        answer.attempt
    );
    Ok(())
}

/// `#[paginate]` methods return `Paginated<T>`, a lazy stream of items across pages.
async fn pagination(shop: &BookshopClient) -> Result<(), Failure> {
    section("9. Pagination");
    let all = shop.catalog(Some(100)).try_collect().await?;
    println!(
        "catalog(per_page = 100) [link] -> {} items, first {:?}, last {:?}",
        all.len(),
        all[0].title,
        all[all.len() - 1].title
    );

    let mut feed = shop.catalog_feed(Some(100)).pages();
    let mut sizes = Vec::new();
    while let Some(page) = feed.try_next().await? {
        sizes.push(page.items().len());
    }
    println!("catalog_feed(limit = 100) [cursor, prefetch 1] -> pages of {sizes:?}");

    let first_five = shop.catalog_by_offset().max_items(5).try_collect().await?;
    let ids: Vec<u32> = first_five.iter().map(|i| i.id).collect();
    println!("catalog_by_offset().max_items(5) [offset] -> ids {ids:?}, one request made");
    Ok(())
}

/// `BookshopClient::OPERATIONS`: static metadata of every method.
fn operations() {
    section("10. BookshopClient::OPERATIONS");
    println!("  {:<14} {:<7} {:<16} {:<10} {:<7} params", "name", "method", "path", "idempotent", "confirm");
    for op in BookshopClient::OPERATIONS {
        let params: Vec<String> = op.params.iter().map(|p| format!("{}: {:?}", p.name, p.location)).collect();
        println!(
            "  {:<14} {:<7} {:<16} {:<10} {:<7} {}",
            op.name,
            op.method.as_str(),
            op.path,
            op.idempotent,
            op.requires_confirmation,
            params.join(", ")
        );
    }
}
