use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Hub {
    #[get("/users/<login>")]
    async fn user(&self, #[var("who")] login: &str) -> Result<()>;
}

fn main() {}
