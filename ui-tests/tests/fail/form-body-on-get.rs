use restrait::{api, get, Result};
use serde::Serialize;

#[derive(Serialize)]
pub struct Search {
    pub q: String,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/search")]
    async fn search(&self, #[body(form)] search: &Search) -> Result<()>;
}

fn main() {}
