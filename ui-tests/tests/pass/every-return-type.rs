// Every documented return type: JSON, nothing, text, bytes, and the full response.
use restrait::{api, get, Response, Result};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct Status {
    pub ok: bool,
}

#[api(base = "https://status.example.com")]
pub trait StatusApi {
    #[get("/status")]
    async fn json(&self) -> Result<Status>;

    #[get("/ping")]
    async fn unit(&self) -> Result<()>;

    #[get("/motd")]
    async fn text(&self) -> Result<String>;

    #[get("/logo.png")]
    async fn bytes(&self) -> Result<bytes::Bytes>;

    #[get("/logo2.png")]
    async fn restrait_bytes(&self) -> Result<restrait::bytes::Bytes>;

    #[get("/status/full")]
    async fn response(&self) -> Result<restrait::Response<Status>>;

    #[get("/status/text")]
    async fn response_text(&self) -> Result<Response<String>>;

    #[get("/status/explicit")]
    async fn explicit_error(&self) -> restrait::Result<Vec<Status>, restrait::Error>;
}

fn main() {}
