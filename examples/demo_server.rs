//! The demo bookshop API on its own, until Ctrl-C: `cargo run --example demo_server`.
//!
//! Listens on `RESTRAIT_DEMO_ADDR` (default `127.0.0.1:3000`). Point the quickstart at it with
//! `RESTRAIT_DEMO_URL=http://127.0.0.1:3000 cargo run --example quickstart`, or try it with
//! curl: `curl -i http://127.0.0.1:3000/books/1`. `POST /__demo/reset` starts it afresh.

use std::net::SocketAddr;

use restrait_examples::demo_server::DemoServer;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr: SocketAddr = std::env::var("RESTRAIT_DEMO_ADDR").as_deref().unwrap_or("127.0.0.1:3000").parse()?;
    let server = DemoServer::start_on(addr).await?;
    println!("the demo bookshop API listens at {} (Ctrl-C stops it)", server.base_url());
    std::future::pending::<()>().await;
    Ok(())
}
