use restrait::{api, get, Result};
use serde::Serialize;

#[derive(Serialize)]
pub struct Filter {
    pub state: String,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users")]
    async fn users(&self, #[query(flatten, "filter")] filter: &Filter) -> Result<()>;
}

fn main() {}
