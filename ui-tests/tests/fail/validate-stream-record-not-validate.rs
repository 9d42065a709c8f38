use restrait::{api, get, JsonLines, Result};

#[derive(serde::Deserialize)]
struct Line {
    message: String,
}

#[api(base = "https://api.example.com")]
#[validate]
trait Logs {
    #[get("/tail")]
    async fn tail(&self) -> Result<JsonLines<Line>>;
}

fn main() {}
