// Three unrelated mistakes in one trait: all three are reported at once.
use restrait::{api, get, post, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/{id}")]
    async fn user(&self, id: u64) -> Result<()>;

    #[post("/users")]
    async fn create(&mut self) -> Result<()>;

    #[get("/users")]
    #[timeout("soon")]
    async fn users(&self) -> Result<()>;
}

fn main() {}
