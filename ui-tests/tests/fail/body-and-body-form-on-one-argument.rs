use restrait::{api, post, Result};
use serde::Serialize;

#[derive(Serialize)]
pub struct User {
    pub name: String,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    async fn create(&self, #[body] #[body(form)] user: &User) -> Result<()>;
}

fn main() {}
