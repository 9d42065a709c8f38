// The streaming return types, with the idle timeout on the trait and on a method.
use restrait::{api, get, post, ByteStream, Events, JsonLines, Result};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
pub struct Record {
    pub id: u64,
}

#[derive(Serialize)]
pub struct Prompt {
    pub text: String,
}

#[api(base = "https://stream.example.com")]
#[timeout(idle = "1m")]
pub trait Streams {
    #[get("/files/<name>")]
    async fn download(&self, name: &str) -> Result<ByteStream>;

    #[get("/export")]
    #[timeout(idle = "30s", total = "10m")]
    async fn export(&self) -> Result<JsonLines<Record>>;

    #[post("/complete")]
    async fn complete(&self, #[body] prompt: &Prompt) -> Result<restrait::Events<Record>>;

    #[get("/feed")]
    async fn feed(&self) -> restrait::Result<Events<Record>>;

    #[get("/plain")]
    async fn plain(&self) -> Result<Record>;
}

fn main() {}
