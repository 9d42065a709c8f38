//! The quickstart is documentation that must keep working: run all of it, against a fresh
//! embedded demo server, as a test.

#[path = "../quickstart.rs"]
#[allow(dead_code)] // its `main`, which the test does not call
mod quickstart;

use restrait_examples::demo_server::DemoServer;

#[tokio::test]
async fn quickstart_runs_to_completion() {
    let server = DemoServer::start().await.expect("the demo server starts");
    let outcome = quickstart::run(server.base_url()).await;
    server.shutdown().await;
    if let Err(e) = outcome {
        panic!("the quickstart failed: {e}");
    }
}
