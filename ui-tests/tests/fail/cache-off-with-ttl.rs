use restrait::{api, get, Result};

#[api(base = "https://api.example.com")]
pub trait Users {
    #[get("/users/<id>")]
    #[cache(off, ttl = "5m")]
    async fn user(&self, id: u64) -> Result<String>;
}

fn main() {}
