//! GraphQL operations as trait methods: `cargo run --example graphql`.
//!
//! Starts a small GraphQL API on a loopback port (examples/src/graphql_server.rs) and calls
//! it through a trait whose methods are GraphQL operations: a query with variables (one
//! optional), a mutation, a field that fails beside partial data, and a persisted query.

use std::error::Error as StdError;

use restrait::{api, ErrorKind, Result};
use restrait_examples::graphql_server::GraphQlServer;
use serde::Deserialize;

type Failure = Box<dyn StdError + Send + Sync>;

#[derive(Deserialize, Debug)]
pub struct Book {
    pub id: String,
    pub title: String,
    pub author: Option<String>,
}

#[derive(Deserialize, Debug)]
pub struct Starred {
    pub id: String,
    pub stars: u32,
}

#[derive(Deserialize, Debug)]
pub struct ShelfItem {
    pub title: String,
    pub price: Option<u32>,
}

/// The library's GraphQL API. Every method POSTs to `/graphql` (the default endpoint).
#[api(base = "http://127.0.0.1:4000")]
pub trait Library {
    /// A book by id; `with_author` is the optional `$withAuthor`, left out when `None`.
    #[graphql(
        "query Book($id: ID!, $withAuthor: Boolean) { book(id: $id) { id title author @include(if: $withAuthor) } }",
        root = "book"
    )]
    async fn book(&self, id: &str, #[var("withAuthor")] with_author: Option<bool>) -> Result<Option<Book>>;

    /// A mutation: not retried after a failure that may have reached the server.
    #[graphql("mutation Star($bookId: ID!) { star(bookId: $bookId) { id stars } }", root = "star")]
    async fn star(&self, #[var("bookId")] book_id: &str) -> Result<Starred>;

    /// The shelf; the server fails to price one book and says so in `errors`.
    #[graphql("query Shelf { shelf { title price } }", root = "shelf")]
    async fn shelf(&self) -> Result<Vec<ShelfItem>>;

    /// The same query as `book`, sent as a persisted query: the hash first, the text only
    /// when the server does not know it yet.
    #[graphql("query Book($id: ID!) { book(id: $id) { id title } }", root = "book", persisted)]
    async fn book_persisted(&self, id: &str) -> Result<Option<Book>>;
}

#[tokio::main]
async fn main() -> std::result::Result<(), Failure> {
    let server = GraphQlServer::start().await?;
    run(&server).await
}

/// The whole example against `server`. Public so that `examples/tests/graphql.rs` runs it.
pub async fn run(server: &GraphQlServer) -> std::result::Result<(), Failure> {
    println!("restrait GraphQL example against {}/graphql", server.base_url());
    let library = LibraryClient::builder().base_url(server.base_url()).build()?;

    println!("\n== A query with variables ==");
    let book = library.book("1", Some(true)).await?.ok_or("book 1 exists")?;
    println!("book(id: 1) -> {} by {}", book.title, book.author.as_deref().unwrap_or("?"));
    let without = library.book("1", None).await?.ok_or("book 1 exists")?;
    println!("without $withAuthor -> author {:?}", without.author);
    assert_eq!(without.author, None);
    println!("book(id: 9) -> {:?}", library.book("9", None).await?);

    println!("\n== A mutation ==");
    let starred = library.star("1").await?;
    println!("star(bookId: 1) -> {} now has {} star(s)", starred.id, starred.stars);

    println!("\n== Errors beside partial data ==");
    let err = library.shelf().await.expect_err("the server fails to price a book");
    assert_eq!(err.kind(), ErrorKind::GraphQl);
    println!("{err}");
    for e in err.graphql_errors() {
        println!("  error at `{}` ({:?}): {}", e.path_string(), e.code(), e.message);
    }
    println!("  partial data: {}", err.graphql_data().ok_or("partial data")?);

    println!("\n== A persisted query ==");
    let before = server.requests();
    library.book_persisted("1").await?;
    let first = server.requests() - before;
    library.book_persisted("1").await?;
    let second = server.requests() - before - first;
    println!("first call: {first} requests (hash, then the text); second call: {second} (the hash alone)");
    assert_eq!((first, second), (2, 1));

    println!("\n== OPERATIONS ==");
    for op in LibraryClient::OPERATIONS {
        println!(
            "{:<16} {} {}  confirm: {:<5} retried: {}",
            op.name, op.method, op.path, op.requires_confirmation, op.idempotent
        );
    }
    println!("\nDone.");
    Ok(())
}
