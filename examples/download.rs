//! A large download with a progress bar: `cargo run --example download`.
//!
//! The client's progress observer (`ClientBuilder::progress`) reports each chunk of the body
//! as it is read, with the total from `Content-Length`; an `indicatif` bar follows it. The
//! body arrives as a `ByteStream`, so memory stays constant however large the file is.

use std::error::Error as StdError;

use indicatif::{ProgressBar, ProgressStyle};
use restrait::progress::{Direction, Progress};
use restrait_examples::bookshop::{Bookshop, BookshopClient};
use restrait_examples::demo_server::DemoServer;

type Failure = Box<dyn StdError + Send + Sync>;

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let server = DemoServer::start().await?;
    let outcome = run(server.base_url()).await;
    server.shutdown().await;
    outcome
}

async fn run(base_url: &str) -> Result<(), Failure> {
    let bar = ProgressBar::new(0);
    bar.set_style(ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec}")?);
    let follow = bar.clone();
    let shop = BookshopClient::builder()
        .base_url(base_url)
        .progress(move |p: &Progress| {
            if p.direction == Direction::Download {
                if let Some(total) = p.total {
                    follow.set_length(total);
                }
                follow.set_position(p.bytes);
            }
        })
        .build()?;

    println!("Downloading the catalog export from {base_url}/export");
    let mut export = shop.export().await?;
    let (mut bytes, mut rows) = (0usize, 0usize);
    while let Some(chunk) = export.try_next().await? {
        bytes += chunk.len();
        rows += chunk.iter().filter(|&&b| b == b'\n').count();
    }
    bar.finish();
    println!("{bytes} bytes, {rows} lines");
    Ok(())
}
