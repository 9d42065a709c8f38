//! `cargo run --example graphql` must keep working: run all of it as a test.

#[path = "../graphql.rs"]
#[allow(dead_code)] // its `main`, which the test does not call
mod graphql;

use restrait_examples::graphql_server::GraphQlServer;

#[tokio::test]
async fn graphql_example_runs_to_completion() {
    let server = GraphQlServer::start().await.expect("the GraphQL server starts");
    if let Err(e) = graphql::run(&server).await {
        panic!("the GraphQL example failed: {e}");
    }
}
