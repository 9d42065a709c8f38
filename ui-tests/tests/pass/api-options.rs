// Every key of `#[api(...)]`, trait-level and method-level static headers and timeouts, and
// a doc comment carried into the metadata.
use restrait::{api, get, post, Result};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Thing {
    pub id: u64,
}

/// The error body the service sends.
#[derive(Deserialize, Debug)]
pub struct ServiceError {
    pub message: String,
}

#[api(client = Things, error = ServiceError, base = "http://localhost:8080/api", base_env = "THINGS_URL", crate = "restrait")]
#[header("Accept: application/json")]
#[header("User-Agent: things/1.0")]
#[timeout("30s")]
pub trait ThingApi {
    /// Fetch one thing.
    #[get("/things/<id>")]
    #[header("Accept: application/vnd.things+json")]
    #[timeout(total = "10s", attempt = "2s")]
    async fn thing(&self, id: u64) -> Result<Thing>;

    #[post("/things/<id>/touch")]
    #[idempotent]
    #[timeout(attempt = "500ms")]
    async fn touch(&self, id: u64) -> Result<()>;

    #[post("/things")]
    #[idempotency_key("Idempotency-Key")]
    #[timeout("2m")]
    async fn create(&self, #[query] name: &str) -> Result<Thing>;
}

/// `error = "..."` also accepts a type in a string.
#[api(base = "https://example.com", error = "Vec<ServiceError>")]
pub trait Quoted {
    #[get("/")]
    async fn root(&self) -> Result<()>;
}

fn main() {
    let _ = Things::builder();
    let ops = Things::OPERATIONS;
    assert_eq!(ops[0].doc, "Fetch one thing.");
    let _ = QuotedClient::new();
}
