use restrait::{api, post, Result};
use serde::Serialize;

#[derive(Serialize)]
pub struct User {
    pub name: String,
}

#[derive(Serialize)]
pub struct Settings {
    pub public: bool,
}

#[api(base = "https://api.example.com")]
pub trait Users {
    #[post("/users")]
    async fn create(&self, #[body] user: &User, #[body(form)] settings: &Settings) -> Result<()>;
}

fn main() {}
