//! The quickstart's calls from a plain `fn main`, with no async code:
//! `cargo run --example blocking`.
//!
//! `#[api(..., blocking)]` on the `Bookshop` trait (examples/src/bookshop.rs) also generated
//! `BookshopBlockingClient`: the same methods as plain functions, on the same engine (retries,
//! deadlines, rate limits), with a runtime of the client's own. Pagination is an `Iterator`.
//! The demo API is started on a runtime of its own here (or `RESTRAIT_DEMO_URL` is used).

use std::error::Error as StdError;

use restrait::ErrorKind;
use restrait_examples::bookshop::{ApiError, BookshopBlockingClient, NewBook};
use restrait_examples::demo_server::DemoServer;

type Failure = Box<dyn StdError + Send + Sync>;

fn main() -> Result<(), Failure> {
    if let Ok(url) = std::env::var("RESTRAIT_DEMO_URL") {
        if !url.is_empty() {
            return run(&url);
        }
    }
    // The demo server needs a runtime; the client does not (it brings its own).
    let server_runtime = tokio::runtime::Runtime::new()?;
    let server = server_runtime.block_on(DemoServer::start())?;
    let outcome = run(server.base_url());
    server_runtime.block_on(server.shutdown());
    outcome
}

/// The blocking walk-through against the bookshop API at `base_url`. Public so that a test
/// can run it.
pub fn run(base_url: &str) -> Result<(), Failure> {
    println!("restrait blocking client against the demo API at {base_url}");
    let shop = BookshopBlockingClient::builder().base_url(base_url).build()?;

    println!("\n== Typed calls ==");
    let books = shop.list_books(None, Some(3))?;
    for b in &books {
        println!("  #{:<2} {} ({})", b.id, b.title, b.year);
    }
    let book = shop.book(2)?;
    println!("book(2) -> {:?} by {}", book.title, book.author);

    println!("\n== A body, then errors ==");
    let new = NewBook { title: "Blocking I/O", author: "A. Thread", year: 2026, price_cents: 1000, tags: vec![] };
    let created = shop.create_book(&new)?;
    println!("create_book -> {} {:?}", created.status(), created.body().title);
    shop.delete_book(created.body().id)?;
    let err = shop.book(999).expect_err("the demo API has no book 999");
    assert_eq!(err.kind(), ErrorKind::NotFound);
    println!("book(999) -> {:?}: {}", err.kind(), err.api_error::<ApiError>().map_or("", |e| e.message.as_str()));

    println!("\n== Retries and timeouts, unchanged ==");
    let answer = shop.flaky("blocking-example", Some(2))?;
    println!("flaky(2 failures) -> succeeded on attempt {}", answer.attempt);
    let err = shop.slow(2_000).expect_err("the server answers after the 300 ms deadline");
    println!("slow(2000) -> {:?} ({})", err.kind(), err.is_timeout());

    println!("\n== Pagination as an Iterator ==");
    let titles: Vec<String> =
        shop.catalog(Some(100)).max_items(5).map(|item| item.map(|i| i.title)).collect::<Result<_, _>>()?;
    println!("first five of the catalog: {titles:?}");
    let count = shop.catalog_feed(Some(100)).count();
    println!("the whole cursor feed: {count} items");
    println!("\nDone.");
    Ok(())
}
